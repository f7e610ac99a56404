import { buildCustody, type CustodyInterval, overlap } from './custody.js';
import type { DeriveRepo } from './derive-repo.js';
import { reopenReview } from './excursion-reconcile.js';
import { applyExposures, type ChangeLog, type Exposure } from './exposure.js';
import type { StoredLock } from './locks/reconcile-locks.js';

/**
 * docs/architecture.md "Custody": rebuilds each unit's custody intervals from all its movements (audited when
 * they change, in the order given), inside the caller's derive transaction. Reads and writes go to the store
 * a few statements for all the units, not per unit: each unit's custody is a pure function of its own
 * movements, so batching changes no result.
 */
export async function rebuildCustody(
  repo: DeriveRepo,
  epcs: readonly string[],
  log: ChangeLog,
): Promise<void> {
  // (their exposures to excursions are the excursion rule's: `excursionExposuresOf`)
  const units = [...new Set(epcs)];
  const movements = await repo.movementsOf(units);
  const storedOf = await repo.custodyOf(units);
  const replaced = new Map<string, CustodyInterval[]>();
  const key = (c: CustodyInterval) =>
    `${c.location_id}|${c.entered_at}|${c.left_at}|${c.gateway_id}|${c.seq}`;
  for (const epc of units) {
    const next = buildCustody(epc, movements.get(epc) ?? []);
    const stored = storedOf.get(epc) ?? [];
    const changed = stored.length !== next.length || stored.some((s, i) => key(s) !== key(next[i]!));
    if (!changed) continue;
    replaced.set(epc, next);
    const brief = (c: CustodyInterval) => ({ location: c.location_id, from: c.entered_at, to: c.left_at });
    const appended =
      stored.length > 0 &&
      stored.every((s, i) => i === stored.length - 1 || key(s) === key(next[i]!)) &&
      next.length > stored.length;
    log.audit.push({
      actor: 'system',
      action: 'custody.changed',
      entityType: 'epc',
      entityId: epc,
      before: stored.map(brief),
      after: next.map(brief),
      reason:
        stored.length === 0
          ? 'first movement of this EPC'
          : appended
            ? 'movement received'
            : 'late or out-of-order movement: custody rebuilt in event time',
    });
  }
  if (replaced.size) await repo.replaceCustody(replaced);
}

/**
 * docs/architecture.md "Affected stock and locks": units' exposures to the excursions of the locations they
 * were at, unit by unit in the order given. Custody, excursions and excursion locks are read once for all
 * the units: what one unit's reconciliation writes (its own locks, excursions' review state) is nothing
 * another unit's reads.
 */
export async function excursionExposuresOf(
  repo: DeriveRepo,
  epcs: readonly string[],
  log: ChangeLog,
): Promise<void> {
  const units = [...new Set(epcs)];
  const custodyOf = await repo.custodyOf(units);
  const locations = new Set([...custodyOf.values()].flat().map((c) => c.location_id));
  // A withdrawn excursion (kept for its held locks) exposes nobody new.
  const excursions = locations.size ? await repo.exposingExcursions([...locations]) : [];
  const locksOf = new Map<string, StoredLock[]>();
  for (const l of await repo.locks('excursion', { epcs: units })) {
    const list = locksOf.get(l.epc);
    if (list) list.push(l);
    else locksOf.set(l.epc, [l]);
  }
  for (const epc of units) {
    const custody = custodyOf.get(epc) ?? [];
    const desired = new Map<string, Exposure>();
    for (const x of excursions) {
      for (const c of custody) {
        if (c.location_id !== x.location_id) continue;
        const o = overlap(c, x.start_ts, x.end_ts);
        if (!o) continue;
        const cur = desired.get(x.id);
        desired.set(x.id, {
          epc,
          excursion_id: x.id,
          location_id: x.location_id,
          from: cur ? Math.min(cur.from, o.from) : o.from,
          to: cur ? (cur.to === null || o.to === null ? null : Math.max(cur.to, o.to)) : o.to,
        });
      }
    }
    const gained = await applyExposures(repo, { locks: locksOf.get(epc) ?? [] }, [...desired.values()]);
    await reopenReview(repo, gained, log, 'units newly exposed');
  }
}
