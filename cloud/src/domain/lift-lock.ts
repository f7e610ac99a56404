import type { Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';
import type { ChangeLog } from './exposure.js';

/** The audit trail's view of a lock change: which lock, before/after and why. */
export interface LockChange {
  entityId: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
}

/**
 * Lifts one automatic lock (docs/architecture.md "Affected stock and locks": only while no QA decision
 * touched it and it is not held; the callers check that) and records it on the audit trail in the same
 * derive transaction. The integration event is the caller's, as excursion and cumulative-rule locks
 * describe their cause differently.
 */
export async function liftLock(
  trx: Transaction<DomainDatabase>,
  log: ChangeLog,
  row: { epc: string; excursion_id: string },
  change: LockChange,
  now: number,
): Promise<void> {
  await trx
    .updateTable('locks')
    .set({ state: 'lifted', reason: change.reason, updated_at: now })
    .where('epc', '=', row.epc)
    .where('excursion_id', '=', row.excursion_id)
    .execute();
  log.audit.push({ actor: 'system', action: 'lock.lifted', entityType: 'lock', ...change });
}

/**
 * What a recomputation does instead of lifting an active lock when a master-data change (limits, product
 * rules) caused it: the lock stays active and is held for QA (`hold_reason`, migration 0012), so no
 * specification change can release stock; only a signed disposition does (21 CFR 11.10(a), EU GMP Annex 11
 * §10 change control). Audited as `lock.held`; no unlock event, the unit stays locked. The callers skip
 * locks already held.
 */
export async function holdLock(
  trx: Transaction<DomainDatabase>,
  log: ChangeLog,
  row: { epc: string; excursion_id: string },
  entityId: string,
  why: string,
  now: number,
): Promise<void> {
  const reason = `${why}; this change would have removed the lock: it stays locked pending QA review, and only a signed disposition releases it`;
  await trx
    .updateTable('locks')
    .set({ hold_reason: reason, updated_at: now })
    .where('epc', '=', row.epc)
    .where('excursion_id', '=', row.excursion_id)
    .execute();
  log.audit.push({
    actor: 'system',
    action: 'lock.held',
    entityType: 'lock',
    entityId,
    before: { state: 'active', held: false },
    after: { state: 'active', held: true },
    reason,
  });
}
