import type { TimeWindow } from './location-evaluation.js';

/**
 * One sensor's readings in a dirty window, as ingest saw them in memory: enough to tell, without
 * reading the store back, that they cannot change any excursion or monitoring gap.
 */
export interface SensorSpan {
  fromTs: number;
  toTs: number;
  /** Largest step between consecutive readings of the sensor (in arrival order). */
  maxStepMs: number;
  /** Temperature span; a null (unknown) reading makes it ±Infinity. */
  minC: number;
  maxC: number;
  /** False when the readings were not in event-time order. */
  ordered: boolean;
}

/** Adds a reading to the spans of its sensor (the readings of one batch, in batch order). */
export function addToSpans(
  spans: Map<string, SensorSpan>,
  sensorId: string,
  ts: number,
  tempC: number | null,
) {
  const lo = tempC ?? Number.NEGATIVE_INFINITY;
  const hi = tempC ?? Number.POSITIVE_INFINITY;
  const s = spans.get(sensorId);
  if (!s) {
    spans.set(sensorId, { fromTs: ts, toTs: ts, maxStepMs: 0, minC: lo, maxC: hi, ordered: true });
    return;
  }
  if (ts < s.toTs) s.ordered = false;
  else if (ts - s.toTs > s.maxStepMs) s.maxStepMs = ts - s.toTs;
  if (ts > s.toTs) s.toTs = ts;
  if (ts < s.fromTs) s.fromTs = ts;
  if (lo < s.minC) s.minC = lo;
  if (hi > s.maxC) s.maxC = hi;
}

/** The spans of two windows of one location marked one after the other (coalesced until evaluated). */
export function mergeSpans(
  a: ReadonlyMap<string, SensorSpan> | undefined,
  b: ReadonlyMap<string, SensorSpan> | undefined,
): Map<string, SensorSpan> | undefined {
  if (!a || !b) return undefined;
  const out = new Map<string, SensorSpan>();
  for (const [id, s] of a) out.set(id, { ...s });
  for (const [id, s] of b) {
    const c = out.get(id);
    if (!c) {
      out.set(id, { ...s });
      continue;
    }
    const ordered = c.ordered && s.ordered && s.fromTs >= c.toTs;
    out.set(id, {
      fromTs: Math.min(c.fromTs, s.fromTs),
      toTs: Math.max(c.toTs, s.toTs),
      maxStepMs: Math.max(c.maxStepMs, s.maxStepMs, s.fromTs - c.toTs),
      minC: Math.min(c.minC, s.minC),
      maxC: Math.max(c.maxC, s.maxC),
      ordered,
    });
  }
  return out;
}

export interface TailLimits {
  minC: number;
  maxC: number;
  maxGapMs: number;
  /** When these limits took effect (the newest limit version; every tail is at or after it). */
  effectiveFrom?: number | undefined;
}

/**
 * Per location and sensor, the event time of the sensor's latest stored reading when that reading is
 * known and within the location's limits (so its series ends in range, no run or gap open), as the last
 * evaluation from the store found it, moved forward by windows skipped since.
 *
 * docs/architecture.md "Excursion" (shared/src/temperature/series.ts): after a known in-range reading, more
 * known in-range readings, later in event time and never more than `maxGapMs` apart (nor from that reading),
 * start no run and make no monitoring gap; other sensors' runs do not depend on them. So such a window leaves
 * every excursion, gap, exposure and lock as they are, and need not be evaluated from the store. Only valid
 * while this process is the store's only writer of readings (SQLite, the embedded default): with several
 * ingestor processes (PostgreSQL) another process may have stored readings in between.
 */
export class ReadingTails {
  private readonly byLocation = new Map<string, { limits: TailLimits; tails: Map<string, number> }>();

  /** True (and the tails moved forward) when the window cannot change any derived state. */
  trySkip(locationId: string, window: TimeWindow & { sensors?: ReadonlyMap<string, SensorSpan> }): boolean {
    const loc = this.byLocation.get(locationId);
    const spans = window.sensors;
    if (!loc || !spans || spans.size === 0) return false;
    const { limits, tails } = loc;
    for (const [sensorId, s] of spans) {
      const tail = tails.get(sensorId);
      if (tail === undefined || !s.ordered) return false;
      if (!(s.minC >= limits.minC && s.maxC <= limits.maxC)) return false;
      if (!(s.fromTs > tail) || s.fromTs - tail > limits.maxGapMs || s.maxStepMs > limits.maxGapMs)
        return false;
    }
    for (const [sensorId, s] of spans) tails.set(sensorId, s.toTs);
    return true;
  }

  /** Forgets a location (before it is evaluated from the store; always safe). */
  forget(locationId: string): void {
    this.byLocation.delete(locationId);
  }

  /** Sets what an evaluation from the store found (after its transaction committed). */
  set(locationId: string, limits: TailLimits, tails: ReadonlyMap<string, number | null>): void {
    const cur = this.byLocation.get(locationId);
    const same =
      cur &&
      cur.limits.minC === limits.minC &&
      cur.limits.maxC === limits.maxC &&
      cur.limits.maxGapMs === limits.maxGapMs &&
      cur.limits.effectiveFrom === limits.effectiveFrom;
    const map = same ? cur.tails : new Map<string, number>();
    for (const [sensorId, ts] of tails) {
      if (ts === null) map.delete(sensorId);
      else map.set(sensorId, ts);
    }
    this.byLocation.set(locationId, { limits, tails: map });
  }
}
