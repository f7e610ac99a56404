import { buildCustody, type CustodyInterval, overlap } from './custody.js';
import type { DeriveRepo } from './derive-repo.js';
import { reopenReview } from './excursion-reconcile.js';
import { applyExposures, type ChangeLog, type Exposure } from './exposure.js';

/**
 * docs/architecture.md "Custody": rebuilds one EPC's custody intervals from all its movements (audited when
 * they change), then its exposures to the excursions of the locations it was at, inside the caller's derive
 * transaction.
 */
export async function rebuildCustody(repo: DeriveRepo, epc: string, log: ChangeLog): Promise<void> {
  // (its exposures to excursions are the excursion rule's: `excursionExposuresOfEpc`)
  const next = buildCustody(epc, await repo.movementsOf(epc));
  const stored = await repo.custodyOf(epc);
  const key = (c: CustodyInterval) =>
    `${c.location_id}|${c.entered_at}|${c.left_at}|${c.gateway_id}|${c.seq}`;
  const changed = stored.length !== next.length || stored.some((s, i) => key(s) !== key(next[i]!));
  if (changed) {
    await repo.replaceCustody(epc, next);
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
}

/** docs/architecture.md "Affected stock and locks": a unit's exposures to the excursions of the locations it was at. */
export async function excursionExposuresOfEpc(repo: DeriveRepo, epc: string, log: ChangeLog): Promise<void> {
  const custody = await repo.custodyOf(epc);
  const locations = [...new Set(custody.map((c) => c.location_id))];
  const desired = new Map<string, Exposure>();
  if (locations.length) {
    // A withdrawn excursion (kept for its held locks) exposes nobody new.
    const excursions = await repo.exposingExcursions(locations);
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
  }
  const gained = await applyExposures(repo, { epc }, [...desired.values()]);
  await reopenReview(repo, gained, log, 'units newly exposed');
}
