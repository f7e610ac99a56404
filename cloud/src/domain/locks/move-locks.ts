import type { DeriveRepo, LockRow } from '../derive-repo.js';
import type { ChangeLog } from '../exposure.js';

/** Signed, then held, then active, then lifted: what a merge keeps of two locks of one unit. */
const strength = (l: { state: string; disposition_id: string | null; hold_reason: string | null }) =>
  l.disposition_id !== null ? 3 : l.state !== 'active' ? 0 : l.hold_reason !== null ? 2 : 1;

/** Locks of a merged excursion follow it into the one it merged into (signed states kept), audited. */
export async function moveLocks(
  repo: DeriveRepo,
  from: string,
  into: string,
  log: ChangeLog,
  reason: string,
): Promise<void> {
  const rows = await repo.locksOfKey(from);
  for (const r of rows) {
    const there = await repo.lockAt(into, r.epc);
    const brief = (x: LockRow) => ({
      excursionId: x.excursion_id,
      state: x.state,
      dispositionId: x.disposition_id,
      from: x.exposed_from,
      to: x.exposed_to,
    });
    if (!there) {
      await repo.updateLockRow(from, r.epc, { excursion_id: into });
      log.audit.push({
        actor: 'system',
        action: 'lock.moved',
        entityType: 'lock',
        entityId: `${r.epc}|${from}`,
        before: brief(r),
        after: { ...brief(r), excursionId: into },
        reason,
      });
      continue;
    }
    // The stronger of the two rows wins: signed, then held, then active, then lifted (a merge never
    // releases a unit).
    const take = strength(r) > strength(there);
    if (take) {
      await repo.updateLockRow(into, r.epc, {
        state: r.state,
        disposition_id: r.disposition_id,
        hold_reason: r.hold_reason,
      });
    }
    await repo.deleteLockRow(from, r.epc);
    log.audit.push({
      actor: 'system',
      action: 'lock.merged',
      entityType: 'lock',
      entityId: `${r.epc}|${from}`,
      before: { merged: brief(r), into: brief(there) },
      after: take ? { ...brief(there), state: r.state, dispositionId: r.disposition_id } : brief(there),
      reason,
    });
  }
}
