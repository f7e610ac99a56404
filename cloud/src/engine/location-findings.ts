import type { LocationOutcome } from '../domain/excursion-reconcile.js';
import type { TimeWindow } from '../domain/location-evaluation.js';
import { ReadingTails } from '../domain/reading-tails.js';

/**
 * What the excursion rule found at the locations the engine evaluated: where each sensor's series ends in
 * range (the in-range shortcut, `ReadingTails`), applied only once the derive transaction that found it
 * committed; each location's limits (to rank dirty locations); and, of the last location evaluated, its
 * excursions and final window.
 */
export class LocationFindings {
  /** Where each sensor's series ends in range (in-range windows skip the store read-back). */
  readonly tails = new ReadingTails();
  /** Tails found by evaluations of the running derive transaction; applied after it commits. */
  private staged: Array<{
    id: string;
    limits: { minC: number; maxC: number; maxGapMs: number };
    tails: Map<string, number | null>;
  }> = [];
  /** Limits of the locations seen so far (min_c, max_c), only to rank dirty locations. */
  private readonly knownLimits = new Map<string, { minC: number; maxC: number }>();
  /** Excursions the last location's evaluation found. */
  found = 0;
  /** The final window of the last location's evaluation. */
  settled: TimeWindow | undefined;

  /** A derive transaction starts, or ended without committing: nothing it found applies. */
  reset(): void {
    this.staged = [];
    this.found = 0;
    this.settled = undefined;
  }

  /** The derive transaction committed: the tails it found apply. */
  committed(): void {
    for (const s of this.staged) this.tails.set(s.id, s.limits, s.tails);
    this.staged = [];
  }

  /** What the excursion rule found at a location. */
  report(locationId: string, out: LocationOutcome): void {
    this.found = out.count;
    this.settled = out.window;
    if (out.limits && out.tails) {
      this.knownLimits.set(locationId, { minC: out.limits.minC, maxC: out.limits.maxC });
      this.staged.push({ id: locationId, limits: out.limits, tails: out.tails });
    }
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
