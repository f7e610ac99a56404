import { ColdtraceError } from '../errors.js';
import { normalizeSamples, type Sample } from './sample.js';

/**
 * Which temperatures count as exposure: strictly above a threshold (WHO PQS-style heat rule, e.g.
 * "at most 10 h above +8 °C"), strictly below one (freeze rule), or strictly outside a range (a
 * product's tolerance, for its stability budget). Thresholds are exclusive, as limits are inclusive in
 * docs/architecture.md "Excursion": a reading exactly at +8 °C is not above +8 °C.
 */
export type ExposureCondition =
  | { kind: 'above'; thresholdC: number }
  | { kind: 'below'; thresholdC: number }
  | { kind: 'outside'; minC: number; maxC: number };

/** A half-open interval of event time `[from, to)` in epoch ms. */
export interface Interval {
  from: number;
  to: number;
}

/** True when a known temperature meets the condition. */
export function meetsCondition(c: ExposureCondition, tempC: number): boolean {
  if (c.kind === 'above') return tempC > c.thresholdC;
  if (c.kind === 'below') return tempC < c.thresholdC;
  return tempC < c.minC || tempC > c.maxC;
}

/** The condition as the limits `normalizeSamples` ranks duplicates against (exposure is "out of range"). */
function limitsOf(c: ExposureCondition): [number, number] {
  if (c.kind === 'above') return [Number.NEGATIVE_INFINITY, c.thresholdC];
  if (c.kind === 'below') return [c.thresholdC, Number.POSITIVE_INFINITY];
  return [c.minC, c.maxC];
}

/**
 * The intervals during which one sensor's series says the condition holds. The rule is docs/architecture.md
 * "Excursion" applied to the condition instead of the location's limits, so it needs no max data gap:
 * - each known reading sets the state (exposed or not) and it holds until the next reading;
 * - an unknown reading (`tempC: null`) or a silence, however long, changes nothing: inside an exposure it
 *   keeps it open (unknown counts as exposed, as a gap inside a run keeps the run open), while not exposed
 *   it is a monitoring gap and counts nothing;
 * - an exposure ends at the first known reading that does not meet the condition; one still open at the
 *   end of the series ends at its last sample (the last reading holds no time until a later one exists),
 *   so the result is a function of the samples alone, never of "now".
 * Input order and duplicate timestamps do not matter (`normalizeSamples` keeps, per instant, the value
 * that meets the condition most).
 */
export function exposureIntervals(samples: readonly Sample[], c: ExposureCondition): Interval[] {
  const [lo, hi] = limitsOf(c);
  const sorted = normalizeSamples(samples, lo, hi);
  const out: Interval[] = [];
  let openFrom: number | null = null;
  for (const s of sorted) {
    if (s.tempC === null) continue;
    const exposed = meetsCondition(c, s.tempC);
    if (exposed && openFrom === null) openFrom = s.ts;
    else if (!exposed && openFrom !== null) {
      out.push({ from: openFrom, to: s.ts });
      openFrom = null;
    }
  }
  const last = sorted.at(-1);
  if (openFrom !== null && last && last.ts > openFrom) out.push({ from: openFrom, to: last.ts });
  return out;
}

/**
 * The union of interval lists, sorted and merged (touching intervals join): a location is exposed while
 * any of its sensors says so (they measure the same air; the cautious reading wins, as overlapping
 * excursions of a location's sensors merge). Empty intervals are dropped.
 */
export function unionIntervals(lists: ReadonlyArray<readonly Interval[]>): Interval[] {
  const all = lists
    .flat()
    .filter((i) => i.to > i.from)
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const out: Interval[] = [];
  for (const i of all) {
    const last = out.at(-1);
    if (last && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ from: i.from, to: i.to });
  }
  return out;
}

/** The parts of sorted, disjoint `intervals` inside `[from, to)` (`to` null = open-ended). */
export function clipIntervals(intervals: readonly Interval[], from: number, to: number | null): Interval[] {
  const end = to ?? Number.POSITIVE_INFINITY;
  const out: Interval[] = [];
  for (const i of intervals) {
    const f = Math.max(i.from, from);
    const t = Math.min(i.to, end);
    if (t > f) out.push({ from: f, to: t });
  }
  return out;
}

/** Total length of disjoint intervals (ms). */
export function totalLength(intervals: readonly Interval[]): number {
  let n = 0;
  for (const i of intervals) n += i.to - i.from;
  return n;
}

/** One stay of a unit at a location (a custody interval) with that location's exposure intervals. */
export interface ExposureStay {
  locationId: string;
  from: number;
  /** null = still there. */
  to: number | null;
  /** The location's exposure intervals (sorted, disjoint), e.g. from `unionIntervals`. */
  exposure: readonly Interval[];
}

export interface CumulativeExposure {
  /** Time the unit spent exposed across all its stays (ms). */
  exposedMs: number;
  /** `exposedMs ≥ limitMs`. */
  exceeded: boolean;
  /** Event time at which the exposure reached the limit, and where the unit was then; null when not exceeded. */
  reachedAt: number | null;
  reachedLocationId: string | null;
  /** Start of the unit's first exposure; null when never exposed. */
  firstExposedAt: number | null;
}

/**
 * A unit's cumulative exposure over its custody: the sum, over its stays, of the time its location was
 * exposed while it was there (the reading holding when it entered counts from the moment it entered).
 * The rule is exceeded when the total reaches `limitMs` (≥, like an alarm delay); `reachedAt` is that
 * instant. Time in custody at a location without readings counts nothing (it is a monitoring matter,
 * not a temperature one). Stays may be given in any order; they must not overlap (custody intervals
 * of one unit never do).
 */
export function cumulativeExposure(stays: readonly ExposureStay[], limitMs: number): CumulativeExposure {
  if (!(limitMs > 0) || !Number.isFinite(limitMs)) {
    throw new ColdtraceError(
      'invalid_rule',
      `a cumulative limit must be a positive number of ms, got ${limitMs}`,
    );
  }
  const pieces = stays
    .flatMap((s) => clipIntervals(s.exposure, s.from, s.to).map((i) => ({ ...i, locationId: s.locationId })))
    .sort((a, b) => a.from - b.from);
  let exposedMs = 0;
  let reachedAt: number | null = null;
  let reachedLocationId: string | null = null;
  for (const p of pieces) {
    const len = p.to - p.from;
    if (reachedAt === null && exposedMs + len >= limitMs) {
      reachedAt = p.from + (limitMs - exposedMs);
      reachedLocationId = p.locationId;
    }
    exposedMs += len;
  }
  return {
    exposedMs,
    exceeded: reachedAt !== null,
    reachedAt,
    reachedLocationId,
    firstExposedAt: pieces[0]?.from ?? null,
  };
}
