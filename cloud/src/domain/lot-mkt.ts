import {
  addMktTerms,
  clipIntervals,
  type Interval,
  type MktTerms,
  mktFromTerms,
  normalizeSamples,
  type Sample,
  termsOfSorted,
  totalLength,
} from '@coldtrace/shared';
import type { LotStay } from './lot-stays.js';

/**
 * MKT terms (USP <1079>, shared/src/temperature/mkt.ts) of one sensor's series, each known reading weighted by
 * the part of its hold (until the sensor's next reading) inside `windows`.
 */
export function windowMktTerms(samples: readonly Sample[], windows: readonly Interval[]): MktTerms {
  const sorted = normalizeSamples(samples);
  const weights = sorted.map((s, i) => {
    const next = sorted[i + 1]?.ts;
    return next === undefined ? 0 : totalLength(clipIntervals(windows, s.ts, next));
  });
  return termsOfSorted(sorted, weights);
}

/** One stay of a lot (domain/lot-stays.ts) with, per sensor of its location, the readings that decide it. */
export interface StaySeries {
  stay: LotStay;
  /**
   * Per sensor: its readings inside the stay, its last known reading before the stay (it holds when the
   * first unit entered) and its first reading at or after the stay's end (so the last one inside holds
   * until the end).
   */
  series: ReadonlyMap<string, readonly Sample[]>;
}

/**
 * docs/domain.md "Lot assessment": the lot's MKT over its custody so far. Every reading of the locations its
 * units stayed in, during their stays (`[from, to)`, an open stay up to the last reading), weighted by the part
 * of its hold inside the stay, as the MKT over the excursions weighs its windows; a location's sensors each
 * count (they measure the same air, as in an excursion's MKT). Null when no reading is known.
 */
export function custodyMkt(stays: readonly StaySeries[]): number | null {
  const terms: MktTerms[] = [];
  for (const { stay, series } of stays) {
    const window = [{ from: stay.from, to: stay.to ?? Number.POSITIVE_INFINITY }];
    // A fixed order (stays by time, sensors by id) so the floating-point sum does not depend on input order.
    for (const sensorId of [...series.keys()].sort())
      terms.push(windowMktTerms(series.get(sensorId)!, window));
  }
  return terms.length ? mktFromTerms(addMktTerms(...terms)) : null;
}
