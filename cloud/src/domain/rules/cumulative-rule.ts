import { cumulativeExposures, ruledUnits } from '../cumulative-exposure.js';
import { applyCumulativeLocks } from '../cumulative-locks.js';
import type { LockRule, RuleChange, RuleRepo } from '../locks/lock-rule.js';

/**
 * Products' cumulative rules as a `LockRule` (docs/architecture.md "Cumulative rules"): readings at a
 * location, custody rebuilt for units, or a product's changed rules tell it which units' whole-custody
 * exposure may have changed; it recomputes those units and brings their cumulative locks in line
 * (`cumulative-locks.ts`), in the derive transaction of the change, so the engine's evaluation marks make
 * it durable and crash-safe like every other rule. A function of the stored readings, custody and master
 * data only: late data recomputes.
 */
export class CumulativeRule implements LockRule {
  readonly cause = 'cumulative' as const;
  /**
   * Whether any product has rules or any cumulative lock exists (else there is nothing to do); undefined
   * until known. Only "true" is kept for good; "false" is asked again on a product change.
   */
  private inUse: boolean | undefined;
  /** Units evaluated (for tests and the benchmark). */
  readonly stats = { evaluations: 0, units: 0 };

  /**
   * Readings within a location's limits can still count toward a rule's threshold: while rules are (or may
   * be) in use, the engine must not skip any window unread.
   */
  watches(): boolean {
    return this.inUse !== false;
  }

  locations(): readonly string[] {
    return [];
  }

  /**
   * A unit's cumulative lock sums its exposure over every location it stayed at: two locations evaluated
   * at once could each write it from readings the other's new ones are missing from. While rules are (or
   * may be) in use.
   */
  spansLocations(): boolean {
    return this.inUse !== false;
  }

  async apply(repo: RuleRepo, change: RuleChange): Promise<void> {
    if (change.kind === 'product') this.inUse = undefined;
    if (this.inUse !== true) this.inUse = await repo.cumulativeInUse();
    if (!this.inUse) return;
    const epcs =
      change.kind === 'custody'
        ? [...change.epcs]
        : change.kind === 'product'
          ? await repo.unitsOfProduct(change.gtin)
          : await repo.ruledUnitsAt(change.locationId, change.window);
    if (epcs.length === 0) return;
    const list = [...new Set(epcs)].sort();
    const computed = await cumulativeExposures(repo.exposure, await ruledUnits(repo.exposure, list));
    this.stats.evaluations++;
    this.stats.units += list.length;
    await applyCumulativeLocks(repo, list, computed);
  }
}
