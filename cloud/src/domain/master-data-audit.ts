import type { AuditInput } from './audit-chain.js';

/**
 * The audit entry of a master-data change (EU GMP Annex 11 §9: who changed what, before and after, why):
 * `<kind>.created` or `<kind>.updated` on the entity, with both states.
 */
export function masterDataAudit(
  kind: string,
  id: string,
  before: unknown,
  after: unknown,
  actor: string,
  reason = 'master data',
): AuditInput {
  return {
    actor,
    action: `${kind}.${before ? 'updated' : 'created'}`,
    entityType: kind,
    entityId: id,
    before,
    after,
    reason,
  };
}

/** A webhook endpoint's change: its signing secret never enters the audit trail (it is append-only). */
export function webhookAudit<W extends { id: string; secret: string }>(
  before: W | undefined,
  after: W,
  actor: string,
): AuditInput {
  const redact = (w: W | undefined) => (w ? { ...w, secret: '(redacted)' } : undefined);
  return masterDataAudit(
    'webhook',
    after.id,
    redact(before),
    redact(after),
    actor,
    'integration configuration',
  );
}
