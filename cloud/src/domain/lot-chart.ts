/**
 * A lot's temperature across custody from the reading rollups (docs/architecture.md "Lot chart from
 * rollups"): which buckets of which location a chart of the lot's stays reads, and which of them hold
 * readings from outside a stay.
 */
import type { LotStay } from './lot-stays.js';
import { bucketStart, ROLLUP_RESOLUTIONS, type RollupResolution } from './reading-rollups.js';

/** Custody spans up to this long are charted in 5-minute buckets (≤ 864 per location), longer in hours. */
export const FIVE_MINUTE_CHART_MAX_SPAN_MS = 3 * 24 * 3_600_000;

/** No stay ends later than this (an open one, not clipped by `to`). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

/** A stay clipped to the asked window `[from, to)`. */
export interface ClippedStay {
  locationId: string;
  from: number;
  to: number;
}

/** A range of bucket starts `[lo, hi)` of one location: the buckets that overlap one or more of its stays. */
export interface BucketWindow {
  locationId: string;
  lo: number;
  hi: number;
}

/** The stays clipped to `[fromTs, toTs)`, empty ones dropped. */
export function clipStays(
  stays: readonly LotStay[],
  fromTs: number | undefined,
  toTs: number | undefined,
): ClippedStay[] {
  return stays
    .map((s) => ({
      locationId: s.locationId,
      from: Math.max(s.from, fromTs ?? Number.MIN_SAFE_INTEGER),
      to: Math.min(s.to ?? OPEN_END, toTs ?? OPEN_END),
    }))
    .filter((s) => s.to > s.from);
}

/**
 * The resolution for a chart of these stays: 5 minutes when the custody (first entry to last exit, an open
 * stay ending `now`) spans at most `FIVE_MINUTE_CHART_MAX_SPAN_MS`, else 1 hour.
 */
export function chartResolution(stays: readonly ClippedStay[], now: number): RollupResolution {
  if (stays.length === 0) return '5m';
  const from = Math.min(...stays.map((s) => s.from));
  const to = Math.max(...stays.map((s) => (s.to === OPEN_END ? Math.max(now, s.from) : s.to)));
  return to - from <= FIVE_MINUTE_CHART_MAX_SPAN_MS ? '5m' : '1h';
}

/**
 * Per location, the bucket starts of buckets of `width` that overlap its stays, as disjoint windows in time
 * order: two stays of one location sharing a bucket read it once. Ordered by location, then start.
 */
export function bucketWindows(stays: readonly ClippedStay[], width: number): BucketWindow[] {
  const sorted = [...stays].sort((a, b) =>
    a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : a.from - b.from,
  );
  const out: BucketWindow[] = [];
  for (const s of sorted) {
    const lo = bucketStart(s.from, width);
    // The last bucket starts before `to`; an open stay reads every bucket there is.
    const hi = s.to === OPEN_END ? OPEN_END : bucketStart(s.to - 1, width) + width;
    const prev = out[out.length - 1];
    if (prev && prev.locationId === s.locationId && lo <= prev.hi) prev.hi = Math.max(prev.hi, hi);
    else out.push({ locationId: s.locationId, lo, hi });
  }
  return out;
}

/**
 * Whether the bucket `[start, start + width)` at `locationId` holds time outside every stay there (a stay's
 * first or last bucket, or one clipped by `from`/`to`): its minimum, maximum and mean may include readings
 * taken before the lot arrived or after it left. Such a bucket is never narrower than the stay's readings
 * in it, so it cannot hide an excursion; it is marked `partial` and the raw readings give the exact values.
 */
export function isPartialBucket(
  stays: readonly ClippedStay[],
  locationId: string,
  start: number,
  width: number,
): boolean {
  return !stays.some((s) => s.locationId === locationId && s.from <= start && start + width <= s.to);
}

export const resolutionWidth = (r: RollupResolution): number => ROLLUP_RESOLUTIONS[r];
