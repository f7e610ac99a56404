import type { TimeWindow } from './location-evaluation.js';

/**
 * The evaluation horizon of a location whose archived readings were deleted (docs/domain.md "Evaluation
 * horizon"). Results decided before it are kept as decided; a re-evaluation never reads a reading at or
 * before `deletedUntil`, and each sensor's series restarts at its first known in-range reading after it
 * (its anchor), where the analysis is reset: from there on it is what a store that kept everything gives.
 */
export interface HorizonFacts {
  /** The latest data time of a deleted reading at the location (the end of its latest deletion span). */
  deletedUntil: number;
  /** The archives whose deletions the location has (restoring them lifts the horizon). */
  archives: readonly string[];
  /**
   * Per sensor with a stored reading after `deletedUntil`: the data time of its first known reading after
   * it within the limits in force then (+Infinity: none yet).
   */
  anchors: ReadonlyMap<string, number>;
  /** The location's stored excursions (end null: open). */
  excursions: ReadonlyArray<{ start_ts: number; end_ts: number | null; last_ts: number }>;
}

/**
 * The first instant from which a retroactive limit correction may take effect: after every sensor's
 * anchor (the versions before it, which decided the anchors, then stay as they are) and after every
 * excursion open at that instant (an evaluation touching it would grow back to its start and redecide
 * it); +Infinity when a sensor has not been in range since the deleted stretch or such an excursion is
 * still open.
 */
export function horizonOf(f: HorizonFacts): number {
  let at = f.deletedUntil + 1;
  for (const a of f.anchors.values()) at = Math.max(at, a + 1);
  for (let moved = true; moved && Number.isFinite(at); ) {
    moved = false;
    for (const e of f.excursions) {
      const end = e.end_ts ?? Number.POSITIVE_INFINITY;
      if (Number(e.start_ts) < at && end >= at) {
        at = end === Number.POSITIVE_INFINITY ? end : Number(end) + 1;
        moved = true;
      }
    }
  }
  return at;
}

/**
 * The window a re-evaluation reads at a location with deletions: one reaching past `deletedUntil` starts
 * after it, its sensors' series respecting it (`deletedUntil` for `evaluateWindow`); one wholly at or
 * before it (a chunk of a whole-history evaluation, a reading arriving late inside the deleted stretch)
 * reads nothing: what was decided there stays (undefined).
 */
export function horizonWindow(
  w: TimeWindow,
  deletedUntil: number | undefined,
): { window: TimeWindow; deletedUntil: number | undefined } | undefined {
  if (deletedUntil === undefined) return { window: w, deletedUntil };
  if (w.toTs <= deletedUntil) return undefined;
  return { window: { fromTs: Math.max(w.fromTs, deletedUntil + 1), toTs: w.toTs }, deletedUntil };
}
