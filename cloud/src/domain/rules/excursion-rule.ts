import { excursionExposuresOf } from '../custody-reconcile.js';
import type { DeriveRepo } from '../derive-repo.js';
import { type LocationOutcome, reconcileLocationIn } from '../excursion-reconcile.js';
import type { LockRule, RuleChange } from '../locks/lock-rule.js';

/**
 * Excursions as a `LockRule` (docs/architecture.md "Excursion", "Affected stock and locks"): readings at a
 * location recompute its excursions over the window and the locks of the units exposed to them; custody
 * rebuilt for units recomputes their exposures. `onOutcome` reports what each location's evaluation found
 * (the engine's in-range shortcut learns where each sensor's series ends in range).
 */
export class ExcursionRule implements LockRule {
  readonly cause = 'excursion' as const;

  constructor(private readonly onOutcome?: (locationId: string, outcome: LocationOutcome) => void) {}

  /** The in-range shortcut is proven against excursions themselves. */
  watches(): boolean {
    return false;
  }

  locations(): readonly string[] {
    return [];
  }

  async apply(repo: DeriveRepo, change: RuleChange): Promise<void> {
    if (change.kind === 'readings') {
      const out = await reconcileLocationIn(
        repo,
        repo.log,
        repo.now,
        change.locationId,
        change.window,
        change.cause,
      );
      this.onOutcome?.(change.locationId, out);
    } else if (change.kind === 'custody') {
      await excursionExposuresOf(repo, change.epcs, repo.log);
    }
  }
}
