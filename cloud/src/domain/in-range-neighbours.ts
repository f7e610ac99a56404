import type { TempLimits } from '@coldtrace/shared';
import { indexInForce, type SpecVersion, spanOf } from './spec-versions.js';

/** One sensor's nearest-reading question: strictly before (after) `ts`, within [minC, maxC]. */
export interface NearestAsk {
  sensorId: string;
  ts: number;
  minC: number;
  maxC: number;
}

/** One sensor's instant. */
export interface SensorInstant {
  sensorId: string;
  ts: number;
}

/** The part of `WindowReads` the neighbour search reads: every question of a step in one call. */
export interface NeighbourReads {
  /** Per ask (same order): the instant of the sensor's nearest reading strictly before (after) `ts` within [minC, maxC], if any. */
  nearestInRange(
    locationId: string,
    asks: readonly NearestAsk[],
    side: 'before' | 'after',
  ): Promise<Array<number | undefined>>;
  /** Per instant (same order): every value the sensor reported then (duplicates from several gateways or epochs). */
  valuesAt(locationId: string, at: readonly SensorInstant[]): Promise<Array<Array<number | null>>>;
}

const inRange = (values: ReadonlyArray<number | null>, l: TempLimits) =>
  values.length > 0 && values.every((t) => t !== null && t >= l.minC && t <= l.maxC);

/** The index of the version in force just before `ts` (the last one taking effect strictly before it). */
function versionJustBefore(line: readonly SpecVersion<TempLimits>[], ts: number): number {
  const k = indexInForce(line, ts);
  return k > 0 && line[k]!.effectiveFrom >= ts ? k - 1 : k;
}

interface Search {
  sensorId: string;
  bound: number;
  steps: number;
  found?: number;
  done: boolean;
}

/**
 * Per sensor (`from`: sensor → its instant), the nearest known in-range reading strictly before (after) its
 * instant whose instant holds no out-of-range or unknown duplicate (a duplicate would win normalisation, see
 * `normalizeSamples`); ±Infinity when there is none. In range means under the limit version in force at the
 * reading's time: each search walks the versions' spans from its instant outward (`line`, a timeline). The
 * searches go in lockstep, so each step is one `nearestInRange` and at most one `valuesAt` call for all the
 * sensors still searching (a window's sensors in a few statements, not a few per sensor); each sensor's
 * steps and answer are those of a search of its own.
 */
export async function inRangeNeighbours(
  reads: NeighbourReads,
  locationId: string,
  line: readonly SpecVersion<TempLimits>[],
  from: ReadonlyMap<string, number>,
  side: 'before' | 'after',
): Promise<Map<string, number>> {
  const searches: Search[] = [...from].map(([sensorId, ts]) => ({
    sensorId,
    bound: ts,
    steps: 0,
    done: false,
  }));
  const maxSteps = 20 + 2 * line.length;
  for (;;) {
    const active = searches.filter((s) => !s.done && s.steps < maxSteps);
    if (active.length === 0) break;
    // Readings strictly before `bound` lie in the version in force just before it; after: the one at it.
    const ks = active.map((s) =>
      side === 'before' ? versionJustBefore(line, s.bound) : indexInForce(line, s.bound),
    );
    const ats = await reads.nearestInRange(
      locationId,
      active.map((s, i) => ({
        sensorId: s.sensorId,
        ts: s.bound,
        minC: line[ks[i]!]!.spec.minC,
        maxC: line[ks[i]!]!.spec.maxC,
      })),
      side,
    );
    // What each search checks next: its hit's values (under its version), or the next version's start.
    const checks: Array<{ s: Search; at: number; limits: TempLimits; hit: boolean }> = [];
    active.forEach((s, i) => {
      s.steps++;
      const k = ks[i]!;
      const span = spanOf(line, k);
      const at = ats[i];
      if (at !== undefined && at >= span.from && at < span.to) {
        checks.push({ s, at, limits: line[k]!.spec, hit: true });
        return;
      }
      // No reading in range of this version within its span (beyond `bound`): the neighbouring version's.
      if (side === 'before') {
        if (k === 0) s.done = true;
        else s.bound = span.from;
      } else if (k === line.length - 1) s.done = true;
      // The reading exactly at the next version's start is judged by that version.
      else checks.push({ s, at: span.to, limits: line[k + 1]!.spec, hit: false });
    });
    if (checks.length === 0) continue;
    const values = await reads.valuesAt(
      locationId,
      checks.map((c) => ({ sensorId: c.s.sensorId, ts: c.at })),
    );
    checks.forEach((c, i) => {
      if (inRange(values[i]!, c.limits)) {
        c.s.found = c.at;
        c.s.done = true;
      } else c.s.bound = c.at;
    });
  }
  const none = side === 'before' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return new Map(searches.map((s) => [s.sensorId, s.found ?? none]));
}
