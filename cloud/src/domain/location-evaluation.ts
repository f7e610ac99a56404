import {
  analyzeSeries,
  type LocationExcursion,
  mergeExcursions,
  type Sample,
  type SensorExcursion,
  type TempLimits,
} from '@coldtrace/shared';
import { inRangeNeighbours, type NeighbourReads } from './in-range-neighbours.js';
import type { LocationsTable, StoredExcursion } from './rows.js';
import { type SpecVersion, specAt, timeline } from './spec-versions.js';

export type { StoredExcursion };

/** One sensor's readings wanted: those in [lo, hi] (open where not finite). */
export interface SensorRange {
  sensorId: string;
  lo: number;
  hi: number;
}

/**
 * What a window's evaluation reads (the store implements it over the derive transaction,
 * `store/window-reads.ts`): plain rows of one location, the per-sensor reads for all of a step's sensors
 * in one call (`NeighbourReads`, `samples`).
 */
export interface WindowReads extends NeighbourReads {
  /** Stored excursions with start ≤ `hi` (when finite) and end or last reading ≥ `lo` (when finite), by start. */
  excursionsNear(locationId: string, lo: number, hi: number): Promise<StoredExcursion[]>;
  /** Sensors with a reading in [lo, hi] (bounds that are not finite are open). */
  sensorsIn(locationId: string, lo: number, hi: number): Promise<string[]>;
  /** Per range (same order): the sensor's readings in it, by time. */
  samples(locationId: string, ranges: readonly SensorRange[]): Promise<Sample[][]>;
}

export interface TimeWindow {
  fromTs: number;
  toTs: number;
}

/** The whole history of a location (new master data, changed limits). */
export const ALL_TIME: TimeWindow = { fromTs: Number.NEGATIVE_INFINITY, toTs: Number.POSITIVE_INFINITY };

export function limitsOf(
  l: Pick<LocationsTable, 'min_c' | 'max_c' | 'alarm_delay_ms' | 'critical_margin_c' | 'max_gap_ms'>,
): TempLimits {
  return {
    minC: l.min_c,
    maxC: l.max_c,
    alarmDelayMs: l.alarm_delay_ms,
    criticalMarginC: l.critical_margin_c,
    maxGapMs: l.max_gap_ms,
  };
}

/**
 * A location's limit versions in force (docs/domain.md "Effective-dated specifications"); none recorded =
 * its row's limits for all time.
 */
export function limitVersionsOf(
  location: LocationsTable,
  versions: readonly SpecVersion<TempLimits>[] = [],
): SpecVersion<TempLimits>[] {
  return versions.length > 0
    ? timeline(versions)
    : [{ version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: limitsOf(location) }];
}

export interface SensorScope {
  sensorId: string;
  /** The analysed span of this sensor: its stored monitoring gaps with from_ts in [loTs, hiTs) are replaced. */
  loTs: number;
  hiTs: number;
}

export interface WindowEvaluation {
  /** Final window: every stored excursion touching it is replaced by `computed`. */
  window: TimeWindow;
  stored: StoredExcursion[];
  computed: LocationExcursion[];
  gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }>;
  scopes: SensorScope[];
  /**
   * Per analysed sensor: the event time of its latest stored reading at this location when that is known
   * and within the limits at every copy of that instant (its series ends in range), else null.
   */
  tails: Map<string, number | null>;
}

const endOf = (e: { end_ts: number | null; last_ts: number }) => e.end_ts ?? e.last_ts;
const touches = (aFrom: number, aTo: number, bFrom: number, bTo: number) => aFrom <= bTo && bFrom <= aTo;
const finite = (n: number) => Number.isFinite(n);

/**
 * docs/architecture.md "Excursion", recomputed over the affected window only. The analysis of one sensor's
 * series is reset by every known in-range reading (no run open, gap tracking restarts there), so analysing a
 * sensor from its last in-range reading before the window to its first in-range reading after it gives
 * exactly the runs and gaps a full analysis gives there. The window grows to cover every stored excursion and
 * every recomputed (merged) excursion touching it, until a fixpoint: the excursions touching the final window
 * are then exactly those of a full evaluation of all stored readings. With effective-dated limits each
 * reading is judged by the version in force at its time (`analyzeSeries` with `LimitsAt`), and the reset
 * still holds: the state after a reading in range under its own version depends on that reading alone.
 */
export async function evaluateWindow(
  reads: WindowReads,
  location: LocationsTable,
  initial: TimeWindow,
  versions: readonly SpecVersion<TempLimits>[] = [],
  /**
   * The end of the location's deleted readings (domain/evaluation-horizon.ts): a sensor's series never
   * starts at or before it; when its in-range reading before the window lies there, the series starts at
   * its first in-range reading after it (a reset: what follows is what a store that kept everything gives).
   */
  deletedUntil?: number,
): Promise<WindowEvaluation> {
  const line = limitVersionsOf(location, versions);
  const limits = specAt(line);
  let lo = initial.fromTs;
  let hi = initial.toTs;
  const sensors = new Set<string>();
  const cache = new Map<string, { lo: number; hi: number; samples: Sample[] }>();
  for (let round = 0; ; round++) {
    const stored = (await reads.excursionsNear(location.id, lo, hi)).filter((e) =>
      touches(e.start_ts, endOf(e), lo, hi),
    );
    for (const e of stored) {
      lo = Math.min(lo, e.start_ts);
      hi = Math.max(hi, endOf(e));
      for (const s of e.sensor_ids.split(',')) if (s) sensors.add(s);
    }
    for (const id of await reads.sensorsIn(location.id, lo, hi)) sensors.add(id);

    const items: SensorExcursion[] = [];
    const gaps: WindowEvaluation['gaps'] = [];
    const scopes: SensorScope[] = [];
    const tails = new Map<string, number | null>();
    const order = [...sensors].sort();
    const starts = await seriesStarts(reads, location.id, line, order, lo, deletedUntil);
    // Not in range since the deleted stretch: nothing of it is evaluated (the horizon lies beyond).
    const live = order.filter((id) => starts.get(id) !== Number.POSITIVE_INFINITY);
    const ends = finite(hi)
      ? await inRangeNeighbours(reads, location.id, line, new Map(live.map((id) => [id, hi])), 'after')
      : new Map(live.map((id) => [id, hi]));
    const stale = live.filter((id) => {
      const c = cache.get(id);
      return !c || c.lo !== starts.get(id) || c.hi !== ends.get(id);
    });
    if (stale.length > 0) {
      const ranges = stale.map((sensorId) => ({
        sensorId,
        lo: starts.get(sensorId)!,
        hi: ends.get(sensorId)!,
      }));
      const read = await reads.samples(location.id, ranges);
      for (const [i, r] of ranges.entries()) cache.set(r.sensorId, { lo: r.lo, hi: r.hi, samples: read[i]! });
    }
    for (const sensorId of order) {
      const c = cache.get(sensorId);
      if (!live.includes(sensorId) || !c) {
        tails.set(sensorId, null);
        continue;
      }
      scopes.push({ sensorId, loTs: c.lo, hiTs: c.hi });
      tails.set(sensorId, finite(c.hi) ? null : tailOf(c.samples, limits));
      const analysis = analyzeSeries(c.samples, limits);
      for (const run of analysis.excursions) items.push({ sensorId, run });
      for (const g of analysis.gaps) gaps.push({ sensor_id: sensorId, from_ts: g.fromTs, to_ts: g.toTs });
    }
    const computed = mergeExcursions(items).filter((e) => touches(e.startTs, e.endTs ?? e.lastTs, lo, hi));
    let nLo = lo;
    let nHi = hi;
    for (const e of computed) {
      nLo = Math.min(nLo, e.startTs);
      nHi = Math.max(nHi, e.endTs ?? e.lastTs);
    }
    if ((nLo === lo && nHi === hi) || round >= 50) {
      return { window: { fromTs: lo, toTs: hi }, stored, computed, gaps, scopes, tails };
    }
    lo = nLo;
    hi = nHi;
  }
}

/**
 * Where each sensor's analysed series starts for a window starting at `lo`: its in-range reading before
 * `lo`, but never one at or before `deletedUntil` (then its first in-range reading after that; +Infinity: none).
 */
async function seriesStarts(
  reads: WindowReads,
  locationId: string,
  line: readonly SpecVersion<TempLimits>[],
  sensorIds: readonly string[],
  lo: number,
  deletedUntil: number | undefined,
): Promise<Map<string, number>> {
  const at = (ts: number, ids: readonly string[]) => new Map(ids.map((id) => [id, ts]));
  const starts = finite(lo)
    ? await inRangeNeighbours(reads, locationId, line, at(lo, sensorIds), 'before')
    : at(lo, sensorIds);
  if (deletedUntil === undefined) return starts;
  const early = sensorIds.filter((id) => !(starts.get(id)! > deletedUntil));
  for (const [id, ts] of await inRangeNeighbours(reads, locationId, line, at(deletedUntil, early), 'after'))
    starts.set(id, ts);
  return starts;
}

/** The last instant of a series (samples sorted by ts) when every sample there is known and in range. */
function tailOf(samples: readonly Sample[], limitsAt: (ts: number) => TempLimits): number | null {
  const last = samples.at(-1);
  if (!last) return null;
  const l = limitsAt(last.ts);
  for (let i = samples.length - 1; i >= 0 && samples[i]!.ts === last.ts; i--) {
    const t = samples[i]!.tempC;
    if (t === null || t < l.minC || t > l.maxC) return null;
  }
  return last.ts;
}

export interface ExcursionMatch {
  /** computed[i] keeps stored id keeperOf[i] (or gets a new id when null). */
  keeperOf: Array<string | null>;
  /** stored id → the keeper id it merged into. */
  mergedInto: Map<string, string>;
  /** stored ids that no recomputed excursion touches any more. */
  withdrawn: string[];
}

/**
 * Excursion identity across recomputation: each recomputed excursion (by start) keeps the id of the
 * oldest stored excursion it touches that no earlier one kept; other stored excursions it touches merged
 * into it; stored excursions touching none were withdrawn by late data.
 */
export function matchExcursions(
  stored: readonly StoredExcursion[],
  computed: readonly LocationExcursion[],
): ExcursionMatch {
  const oldestFirst = [...stored].sort(
    (a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const taken = new Set<string>();
  const keeperOf = computed.map((c) => {
    const k = oldestFirst.find(
      (s) => !taken.has(s.id) && touches(s.start_ts, endOf(s), c.startTs, c.endTs ?? c.lastTs),
    );
    if (!k) return null;
    taken.add(k.id);
    return k.id;
  });
  const mergedInto = new Map<string, string>();
  const withdrawn: string[] = [];
  for (const s of stored) {
    if (taken.has(s.id)) continue;
    const i = computed.findIndex((c) => touches(s.start_ts, endOf(s), c.startTs, c.endTs ?? c.lastTs));
    const into = i >= 0 ? keeperOf[i] : undefined;
    if (into) mergedInto.set(s.id, into);
    else withdrawn.push(s.id);
  }
  return { keeperOf, mergedInto, withdrawn };
}
