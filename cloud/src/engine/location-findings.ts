import type { LocationOutcome } from '../domain/excursion-reconcile.js';
import type { TimeWindow } from '../domain/location-evaluation.js';
import { ReadingTails } from '../domain/reading-tails.js';

/**
 * What the excursion rule found at the locations the engine evaluated: where each sensor's series ends in
 * range (the in-range shortcut, `ReadingTails`), applied only once the derive transaction that found it
 * committed; each location's limits (to rank dirty locations); and, of each location's last evaluation,
 * its excursions and final window. Kept per location: two derive transactions of this process may run at
 * once (the urgent lane), never over the same location.
 */
export class LocationFindings {
  /** Where each sensor's series ends in range (in-range windows skip the store read-back). */
  readonly tails = new ReadingTails();
  /** Tails found by evaluations of running derive transactions, per location; applied after it commits. */
  private readonly staged = new Map<
    string,
    { limits: { minC: number; maxC: number; maxGapMs: number }; tails: Map<string, number | null> }
  >();
  /** Limits of the locations seen so far (min_c, max_c), only to rank dirty locations. */
  private readonly knownLimits = new Map<string, { minC: number; maxC: number }>();
  /** Per location, the excursions and final window of its last evaluation. */
  private readonly outcomes = new Map<string, { found: number; settled: TimeWindow | undefined }>();

  /** A derive transaction of these locations starts, or ended without committing: nothing it found applies. */
  reset(locationIds: readonly string[]): void {
    for (const id of locationIds) {
      this.staged.delete(id);
      this.outcomes.delete(id);
    }
  }

  /** The derive transaction of these locations committed: the tails it found apply. */
  committed(locationIds: readonly string[]): void {
    for (const id of locationIds) {
      const s = this.staged.get(id);
      if (s) this.tails.set(id, s.limits, s.tails);
      this.staged.delete(id);
      this.outcomes.delete(id);
    }
  }

  /** What the excursion rule found at a location. */
  report(locationId: string, out: LocationOutcome): void {
    this.outcomes.set(locationId, { found: out.count, settled: out.window });
    if (out.limits && out.tails) {
      this.knownLimits.set(locationId, { minC: out.limits.minC, maxC: out.limits.maxC });
      this.staged.set(locationId, { limits: out.limits, tails: out.tails });
    }
  }

  /** Excursions the location's last evaluation found (0 before one reported). */
  found(locationId: string): number {
    return this.outcomes.get(locationId)?.found ?? 0;
  }

  /** The final window of the location's last evaluation. */
  settled(locationId: string): TimeWindow | undefined {
    return this.outcomes.get(locationId)?.settled;
  }

  /** Forgets the location's last outcome (an evaluation of it starts). */
  forget(locationId: string): void {
    this.outcomes.delete(locationId);
  }

  /**
   * Whether readings spanning [minC, maxC] may decide an excursion (and so a lock) at a location: some
   * leave its limits, or its limits or their span are not known.
   */
  mayDecide(locationId: string, w: { minC?: number | undefined; maxC?: number | undefined }): boolean {
    const limits = this.knownLimits.get(locationId);
    if (!limits || w.minC === undefined || w.maxC === undefined) return true;
    return w.minC < limits.minC || w.maxC > limits.maxC;
  }
}
