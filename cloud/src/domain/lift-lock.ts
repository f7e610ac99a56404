import type { Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';
import type { ChangeLog } from './exposure.js';

/**
 * Lifts one automatic lock (docs/architecture.md "Affected stock and locks": only while no QA decision
 * touched it; the callers check that) and records it on the audit trail in the same derive transaction. The
 * integration event is the caller's, as excursion and cumulative-rule locks describe their cause differently.
 */
export async function liftLock(
  trx: Transaction<DomainDatabase>,
  log: ChangeLog,
  row: { epc: string; excursion_id: string },
  change: {
    entityId: string;
    before: Record<string, unknown>;
    after: Record<string, unknown>;
    reason: string;
  },
  now: number,
): Promise<void> {
  await trx
    .updateTable('locks')
    .set({ state: 'lifted', reason: change.reason, updated_at: now })
    .where('epc', '=', row.epc)
    .where('excursion_id', '=', row.excursion_id)
    .execute();
  log.audit.push({
    actor: 'system',
    action: 'lock.lifted',
    entityType: 'lock',
    entityId: change.entityId,
    before: change.before,
    after: change.after,
    reason: change.reason,
  });
}
