import type { DeriveRepo } from '../derive-repo.js';
import { reopenReview } from '../excursion-reconcile.js';
import type { LockRule, RuleChange } from '../locks/lock-rule.js';
import { desiredHolds, reconcileHolds } from '../locks/quantity-holds.js';

/**
 * Quantity holds as a `LockRule` (docs/barcode.md "Quantity custody"): after the excursion rule has
 * settled a location's excursions, the counted quantity of each lot scanned there without serial is held
 * by every excursion (not withdrawn) during which units of it were on hand. Told of every location
 * recomputed for readings, and of those where scans without serial were ingested (ingest marks them), so a
 * late scan inside a past excursion holds its lot too. The whole location is reconciled each time: holds
 * are a function of its scans and excursions, whatever window the change names.
 */
export class QuantityHoldRule implements LockRule {
  readonly cause = 'excursion' as const;

  /** Holds follow excursions, never in-range readings. */
  watches(): boolean {
    return false;
  }

  locations(): readonly string[] {
    return [];
  }

  async apply(repo: DeriveRepo, change: RuleChange): Promise<void> {
    if (change.kind !== 'readings') return;
    const store = repo.quantityHolds;
    if (!store) return;
    const scans = await store.quantityScansAt(change.locationId);
    const stored = await store.holdsAt(change.locationId);
    if (scans.size === 0 && stored.length === 0) return;
    const excursions = (await repo.exposingExcursions([change.locationId])).map((e) => ({
      id: e.id,
      location_id: e.location_id,
      start_ts: Number(e.start_ts),
      end_ts: e.end_ts === null ? null : Number(e.end_ts),
    }));
    const plan = reconcileHolds(
      stored,
      desiredHolds(change.locationId, scans, excursions),
      repo.now,
      change.cause,
      {
        live: new Set(excursions.map((e) => e.id)),
        keptForReview: new Set(await store.withdrawnAt(change.locationId)),
      },
    );
    if (plan.writes.length === 0) return;
    await store.applyHoldPlan(plan);
    repo.log.audit.push(...plan.audit);
    for (const e of plan.events)
      repo.log.quantityEvent(e.type, e.excursionId, e.locationId, e.lotId, e.units, e.reason, repo.now);
    await reopenReview(repo, plan.gained, repo.log, 'units of a lot without serial newly held');
  }
}
