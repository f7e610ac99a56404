import {
  analyzeSeries,
  type LocationExcursion,
  mergeExcursions,
  type Sample,
  type SensorExcursion,
  type TempLimits,
} from '@coldtrace/shared';
import type { LocationsTable, StoredExcursion } from './rows.js';
import { indexInForce, type SpecVersion, spanOf, specAt, timeline } from './spec-versions.js';

export type { StoredExcursion };

/**
 * What a window's evaluation reads (the store implements it over the derive transaction,
 * `store/window-reads.ts`): plain rows of one location.
 */
export interface WindowReads {
  /** Stored excursions with start ≤ `hi` (when finite) and end or last reading ≥ `lo` (when finite), by start. */
  excursionsNear(locationId: string, lo: number, hi: number): Promise<StoredExcursion[]>;
  /** Sensors with a reading in [lo, hi] (bounds that are not finite are open). */
  sensorsIn(locationId: string, lo: number, hi: number): Promise<string[]>;
  /** A sensor's readings in [lo, hi] (open where not finite), by time. */
  samples(locationId: string, sensorId: string, lo: number, hi: number): Promise<Sample[]>;
  /** The instant of the sensor's nearest reading strictly before (after) `ts` within [minC, maxC], if any. */
  nearestInRange(
    locationId: string,
    sensorId: string,
    ts: number,
    side: 'before' | 'after',
    minC: number,
    maxC: number,
  ): Promise<number | undefined>;
  /** Every value the sensor reported at this instant (duplicates from several gateways or epochs). */
  valuesAt(locationId: string, sensorId: string, ts: number): Promise<Array<number | null>>;
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
    for (const sensorId of [...sensors].sort()) {
      const sLo = await seriesStart(reads, location.id, line, sensorId, lo, deletedUntil);
      if (sLo === Number.POSITIVE_INFINITY) {
        // Not in range since the deleted stretch: nothing of it is evaluated (the horizon lies beyond).
        tails.set(sensorId, null);
        continue;
      }
      const sHi = finite(hi) ? await inRangeNeighbour(reads, location.id, line, sensorId, hi, 'after') : hi;
      let c = cache.get(sensorId);
      if (!c || c.lo !== sLo || c.hi !== sHi) {
        c = { lo: sLo, hi: sHi, samples: await reads.samples(location.id, sensorId, sLo, sHi) };
        cache.set(sensorId, c);
      }
      scopes.push({ sensorId, loTs: sLo, hiTs: sHi });
      tails.set(sensorId, finite(sHi) ? null : tailOf(c.samples, limits));
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
 * Where a sensor's analysed series starts for a window starting at `lo`: its in-range reading before `lo`,
 * but never one at or before `deletedUntil` (then its first in-range reading after that; +Infinity: none).
 */
async function seriesStart(
  reads: WindowReads,
  locationId: string,
  line: readonly SpecVersion<TempLimits>[],
  sensorId: string,
  lo: number,
  deletedUntil: number | undefined,
): Promise<number> {
  const before = finite(lo) ? await inRangeNeighbour(reads, locationId, line, sensorId, lo, 'before') : lo;
  if (deletedUntil === undefined || before > deletedUntil) return before;
  return inRangeNeighbour(reads, locationId, line, sensorId, deletedUntil, 'after');
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

const inRange = (values: ReadonlyArray<number | null>, l: TempLimits) =>
  values.length > 0 && values.every((t) => t !== null && t >= l.minC && t <= l.maxC);

/**
 * The nearest known in-range reading of a sensor strictly before (after) `ts` whose instant holds no
 * out-of-range or unknown duplicate (a duplicate would win normalisation, see `normalizeSamples`);
 * ±Infinity when there is none. In range means under the limit version in force at the reading's time:
 * the search walks the versions' spans from `ts` outward (`line`, a timeline).
 */
export async function inRangeNeighbour(
  reads: WindowReads,
  locationId: string,
  line: readonly SpecVersion<TempLimits>[],
  sensorId: string,
  ts: number,
  side: 'before' | 'after',
): Promise<number> {
  let bound = ts;
  for (let i = 0; i < 20 + 2 * line.length; i++) {
    // Readings strictly before `bound` lie in the version in force just before it; after: the one at it.
    const k = side === 'before' ? versionJustBefore(line, bound) : indexInForce(line, bound);
    const l = line[k]!.spec;
    const span = spanOf(line, k);
    const at = await reads.nearestInRange(locationId, sensorId, bound, side, l.minC, l.maxC);
    if (at !== undefined && at >= span.from && at < span.to) {
      if (inRange(await reads.valuesAt(locationId, sensorId, at), l)) return at;
      bound = at;
      continue;
    }
    // No reading in range of this version within its span (beyond `bound`): the neighbouring version's.
    if (side === 'before') {
      if (k === 0) break;
      bound = span.from;
    } else {
      if (k === line.length - 1) break;
      // The reading exactly at the next version's start is judged by that version.
      if (inRange(await reads.valuesAt(locationId, sensorId, span.to), line[k + 1]!.spec)) return span.to;
      bound = span.to;
    }
  }
  return side === 'before' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** The index of the version in force just before `ts` (the last one taking effect strictly before it). */
function versionJustBefore(line: readonly SpecVersion<TempLimits>[], ts: number): number {
  const k = indexInForce(line, ts);
  return k > 0 && line[k]!.effectiveFrom >= ts ? k - 1 : k;
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
