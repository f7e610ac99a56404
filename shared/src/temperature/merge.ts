import { addMktTerms, type MktTerms, mktFromTerms } from './mkt.js';
import type { Run } from './series.js';

/** One sensor's excursion handed to `mergeExcursions`. */
export interface SensorExcursion {
  sensorId: string;
  run: Run;
  /** MKT partial sums to use instead of `run.mktTerms` (e.g. recomputed over a custody window). */
  weights?: MktTerms;
}

/** Excursions of several sensors of one location merged where they overlap (docs/architecture.md "Excursion"). */
export interface LocationExcursion {
  startTs: number;
  /** null while any merged run is ongoing. */
  endTs: number | null;
  lastTs: number;
  /** Latest `endTs ?? lastTs` of the merged runs minus `startTs`. */
  durationMs: number;
  minC: number;
  maxC: number;
  /** The merged runs' peak furthest beyond its limit. */
  peakC: number;
  critical: boolean;
  /** The earliest `excursionAt` of the merged runs. */
  excursionAt: number | null;
  /** The maximum over the merged runs: sensors in one room measure the same air, summing would double count. */
  degreeMinutes: number;
  /** Length of the union of the runs' intervals `[startTs, endTs ?? lastTs]`. */
  outOfRangeMs: number;
  /** Time-weighted MKT over all merged sensors' samples (their MKT terms summed). */
  mktC: number | null;
  /** Sorted, unique. */
  sensorIds: string[];
}

const intervalEnd = (r: Run) => r.endTs ?? r.lastTs;

/**
 * Merges one location's sensor excursions: runs whose intervals `[startTs, endTs ?? lastTs]` overlap or
 * touch become one `LocationExcursion`. Items whose run is not an excursion (`isExcursion` false) are
 * ignored. The result, sorted by `startTs`, does not depend on the order of `items`.
 */
export function mergeExcursions(items: readonly SensorExcursion[]): LocationExcursion[] {
  const sorted = items
    .filter((i) => i.run.isExcursion)
    .sort(
      (a, b) =>
        a.run.startTs - b.run.startTs ||
        intervalEnd(a.run) - intervalEnd(b.run) ||
        (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0),
    );
  const groups: SensorExcursion[][] = [];
  let groupEnd = Number.NEGATIVE_INFINITY;
  for (const item of sorted) {
    const current = groups[groups.length - 1];
    if (current && item.run.startTs <= groupEnd) {
      current.push(item);
      groupEnd = Math.max(groupEnd, intervalEnd(item.run));
    } else {
      groups.push([item]);
      groupEnd = intervalEnd(item.run);
    }
  }
  return groups.map(mergeGroup);
}

function mergeGroup(group: readonly SensorExcursion[]): LocationExcursion {
  const runs = group.map((g) => g.run);
  const startTs = Math.min(...runs.map((r) => r.startTs));
  const latest = Math.max(...runs.map(intervalEnd));
  const ongoing = runs.some((r) => r.endTs === null);
  let peak = runs[0]!;
  for (const r of runs) if (r.peakExcessC > peak.peakExcessC) peak = r;
  const ats = runs.flatMap((r) => (r.excursionAt === null ? [] : [r.excursionAt]));

  // Union length: group members are sorted by startTs.
  let outOfRangeMs = 0;
  let curFrom = Number.NaN;
  let curTo = Number.NaN;
  for (const r of runs) {
    if (Number.isNaN(curFrom) || r.startTs > curTo) {
      if (!Number.isNaN(curFrom)) outOfRangeMs += curTo - curFrom;
      curFrom = r.startTs;
      curTo = intervalEnd(r);
    } else curTo = Math.max(curTo, intervalEnd(r));
  }
  outOfRangeMs += curTo - curFrom;

  // Sum MKT terms in a fixed order (by sensor, then start) so floating-point sums do not depend on input order.
  const byId = [...group].sort(
    (a, b) =>
      (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0) || a.run.startTs - b.run.startTs,
  );
  const terms = addMktTerms(...byId.map((g) => g.weights ?? g.run.mktTerms));

  return {
    startTs,
    endTs: ongoing ? null : Math.max(...runs.map((r) => r.endTs!)),
    lastTs: Math.max(...runs.map((r) => r.lastTs)),
    durationMs: latest - startTs,
    minC: Math.min(...runs.map((r) => r.minC)),
    maxC: Math.max(...runs.map((r) => r.maxC)),
    peakC: peak.peakC,
    critical: runs.some((r) => r.critical),
    excursionAt: ats.length > 0 ? Math.min(...ats) : null,
    degreeMinutes: Math.max(...runs.map((r) => r.degreeMinutes)),
    outOfRangeMs,
    mktC: mktFromTerms(terms),
    sensorIds: [...new Set(group.map((g) => g.sensorId))].sort(),
  };
}
