import type { Transaction } from 'kysely';
import type { ChangeLog } from '../domain/exposure.js';
import { lockSubject } from '../domain/locks/lock-subject.js';
import type { LockCause, LockPlan, StoredLock } from '../domain/locks/reconcile-locks.js';
import { onPostgres, pgAnyOf } from './pg-arrays.js';
import type { DomainDatabase } from './schema.js';

type Trx = Transaction<DomainDatabase>;

/** Rows per INSERT statement (SQLite bound-parameter limit). */
const CHUNK = 200;

/** The stored locks of one cause for a scope: all of one key, or all of some units. */
export async function storedLocks(
  trx: Trx,
  cause: LockCause,
  scope: { key: string } | { locationId: string } | { epcs: readonly string[] },
): Promise<StoredLock[]> {
  const q = trx.selectFrom('locks').selectAll().where('cause', '=', cause);
  const units = 'epcs' in scope ? [...new Set(scope.epcs)].sort() : [];
  const rows =
    'key' in scope
      ? await q.where('rule_key', '=', scope.key).execute()
      : 'locationId' in scope
        ? await q.where('location_id', '=', scope.locationId).execute()
        : onPostgres(trx) && units.length > 0
          ? // One array parameter for all the units (pg-arrays.ts).
            await q.where(pgAnyOf('epc', 'text', units)).execute()
          : (await Promise.all(chunks(units).map((c) => q.where('epc', 'in', c).execute()))).flat();
  return rows.map((r) => ({ ...r, key: r.rule_key }));
}

/**
 * Applies a lock plan (`reconcileLocks`) in the caller's derive transaction: its row writes, its audit
 * entries and its lock/unlock events, for locks of `cause`.
 */
export async function applyLockPlan(
  trx: Trx,
  cause: LockCause,
  plan: LockPlan,
  log: ChangeLog,
  now: number,
): Promise<void> {
  const inserts = [];
  for (const w of plan.writes) {
    if (w.kind === 'insert') {
      inserts.push({
        epc: w.epc,
        rule_key: w.key,
        excursion_id: cause === 'excursion' ? w.key : null,
        location_id: w.locationId,
        exposed_from: w.from,
        exposed_to: w.to,
        state: 'active',
        reason: w.reason,
        disposition_id: null,
        cause,
        created_at: now,
        updated_at: now,
      });
      continue;
    }
    await trx
      .updateTable('locks')
      .set({ ...w.set, updated_at: now })
      .where('epc', '=', w.epc)
      .where('cause', '=', cause)
      .where('rule_key', '=', w.key)
      .execute();
  }
  for (const c of chunks(inserts)) await trx.insertInto('locks').values(c).execute();
  log.audit.push(...plan.audit);
  for (const e of plan.events)
    log.lockEvent(e.type, lockSubject(cause, e.key), e.locationId, e.epc, e.reason, now, e.extra, e.lotId);
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** The lot of each of these units that is commissioned to one (for lock events). */
export function lotsOfUnits(trx: Trx): (epcs: readonly string[]) => Promise<ReadonlyMap<string, string>> {
  return async (epcs) => {
    const lots = new Map<string, string>();
    for (const c of chunks([...epcs])) {
      for (const r of await trx.selectFrom('epcs').select(['epc', 'lot_id']).where('epc', 'in', c).execute())
        lots.set(r.epc, r.lot_id);
    }
    return lots;
  };
}
