/**
 * Who makes a master-data change, for the audit trail (docs/architecture.md "Audit trail": every human action
 * with actor, time, before/after and reason). `system` when a program (setup script, simulator) does it.
 */
export interface ActorInput {
  actor?: string | undefined;
  /** Why, in the user's words; otherwise a default naming what changed. */
  reason?: string | undefined;
}
