import type { EpcisReading, EpcisReadingBucket } from './epcis-input.js';

/**
 * The temperature statistics of the export's sensor events (docs/epcis.md "Sources"): per sensor over a
 * custody span, from the known readings and, inside the span, whole reading-rollup buckets. Minimum,
 * maximum and count of a bucket are exact; its sum is not the one-pass sum in reading order the document
 * has always reported, so a mean taken with buckets is only used when no sum order could round it to
 * another 0.001 °C (`meanIsSettled`); otherwise the span is `inexact` and the caller reads its raw readings.
 */

export interface SensorStats {
  min: number;
  max: number;
  sum: number;
  n: number;
  /** Largest magnitude of a value in the sum (bounds the rounding error of any order of adding). */
  maxAbs: number;
  /** Whether a bucket's sum is in `sum` (then `sum` is not the one-pass sum in reading order). */
  bucketed: boolean;
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Index of the first record at or after `from` (`sorted` by `key`). */
function lowerBound<T>(sorted: readonly T[], from: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]!) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const tsOf = (r: EpcisReading) => r.ts;
const startOf = (b: EpcisReadingBucket) => b.start;

/** A location's buckets, by start, and the widest of them (how far before a span one can reach into it). */
export interface SortedBuckets {
  list: readonly EpcisReadingBucket[];
  width: number;
}

export function sortBuckets(buckets: EpcisReadingBucket[]): SortedBuckets {
  buckets.sort((a, b) => a.start - b.start || a.end - b.end);
  return { list: buckets, width: buckets.reduce((w, b) => Math.max(w, b.end - b.start), 0) };
}

/**
 * Whether a bucket lies across an end of `[from, to)` or holds a value that is not finite: then the span's
 * figures cannot come from the buckets.
 */
export function bucketsCross(sorted: SortedBuckets, from: number, to: number): boolean {
  const list = sorted.list;
  for (let i = lowerBound(list, from - sorted.width, startOf); i < list.length && list[i]!.start < to; i++) {
    const b = list[i]!;
    if (b.end <= from) continue;
    if (b.start < from || b.end > to) return true;
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max) || !Number.isFinite(b.sum)) return true;
  }
  return false;
}

/** Buckets wholly inside `[from, to)` . */
function* bucketsIn(sorted: SortedBuckets, from: number, to: number) {
  const list = sorted.list;
  for (let i = lowerBound(list, from, startOf); i < list.length && list[i]!.start < to; i++)
    if (list[i]!.end <= to) yield list[i]!;
}

/** Whether a known reading, or a bucket, lies in `[from, to)` (`readings` by ts, known values only). */
export function hasReading(
  readings: readonly EpcisReading[],
  buckets: SortedBuckets,
  from: number,
  to: number,
): boolean {
  const i = lowerBound(readings, from, tsOf);
  if (i < readings.length && readings[i]!.ts < to) return true;
  for (const b of bucketsIn(buckets, from, to)) if (b.count > 0) return true;
  return false;
}

/**
 * Per sensor, the statistics of `[from, to)`: the known readings in reading order (`readings` by ts), then
 * the buckets inside it. Without buckets the sum is exactly the one-pass sum in reading order.
 */
export function sensorStats(
  readings: readonly EpcisReading[],
  buckets: SortedBuckets,
  from: number,
  to: number,
): Map<string, SensorStats> {
  const stats = new Map<string, SensorStats>();
  for (let i = lowerBound(readings, from, tsOf); i < readings.length && readings[i]!.ts < to; i++) {
    const r = readings[i]!;
    const t = r.tempC as number;
    const s = stats.get(r.sensorId);
    if (s) {
      s.min = Math.min(s.min, t);
      s.max = Math.max(s.max, t);
      s.sum += t;
      s.n += 1;
      s.maxAbs = Math.max(s.maxAbs, Math.abs(t));
    } else stats.set(r.sensorId, { min: t, max: t, sum: t, n: 1, maxAbs: Math.abs(t), bucketed: false });
  }
  for (const b of bucketsIn(buckets, from, to)) {
    if (b.count === 0) continue;
    const abs = Math.max(Math.abs(b.min), Math.abs(b.max));
    const s = stats.get(b.sensorId);
    if (s) {
      s.min = Math.min(s.min, b.min);
      s.max = Math.max(s.max, b.max);
      s.sum += b.sum;
      s.n += b.count;
      s.maxAbs = Math.max(s.maxAbs, abs);
      s.bucketed = true;
    } else
      stats.set(b.sensorId, { min: b.min, max: b.max, sum: b.sum, n: b.count, maxAbs: abs, bucketed: true });
  }
  return stats;
}

const U = 2 ** -53;

/**
 * Whether `round3(sum / n)` is the mean the one-pass sum in reading order would give. Any order of adding
 * n values errs by at most (n − 1)·u·Σ|x| ≤ (n − 1)·u·n·maxAbs (Higham, "Accuracy and Stability of
 * Numerical Algorithms", §4.2; SQLite's compensated SUM errs less), so the two means differ by less than
 * about 2n·u·maxAbs plus the division's rounding; `round3` is monotone, so when both ends of twice that
 * interval round alike, so does the one-pass mean.
 */
export function meanIsSettled(s: SensorStats): boolean {
  if (!s.bucketed) return true;
  const mean = s.sum / s.n;
  const tol = (4 * s.n + 8) * U * s.maxAbs;
  const r = round3(mean);
  return round3(mean - tol) === r && round3(mean + tol) === r;
}

/**
 * Where a location's readings may come from buckets of `width`: the custody ends there (`points`) cut its
 * span into pieces, and each piece's whole buckets are `clean` (no custody interval begins or ends inside
 * one, so every sensor event's span holds it whole or not at all); the rest, `raw`, is read reading by
 * reading. Both as `[from, to)` ranges in time order, adjacent ranges merged.
 */
export function bucketPlan(points: readonly number[], width: number) {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const clean: Array<[number, number]> = [];
  const raw: Array<[number, number]> = [];
  const add = (list: Array<[number, number]>, from: number, to: number) => {
    if (to <= from) return;
    const last = list.at(-1);
    if (last && last[1] === from) last[1] = to;
    else list.push([from, to]);
  };
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [p, q] = [sorted[i]!, sorted[i + 1]!];
    const a = p - (((p % width) + width) % width) + (p % width === 0 ? 0 : width);
    const b = q - (((q % width) + width) % width);
    if (a >= b) add(raw, p, q);
    else {
      add(raw, p, a);
      add(clean, a, b);
      add(raw, b, q);
    }
  }
  return { clean, raw };
}
