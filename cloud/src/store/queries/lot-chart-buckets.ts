import type { Kysely } from 'kysely';
import type { BucketWindow, ClippedStay } from '../../domain/lot-chart.js';
import type { RollupResolution } from '../../domain/reading-rollups.js';
import type { Database } from '../schema.js';
import { type KeyValues, pageOf } from './keyset.js';
import { mergedBucketColumns, type RollupBucket } from './list-rollups.js';

/** The cursor's types, for `decodePageCursor`: bucket start, location. */
export const LOT_CHART_CURSOR_SHAPE = ['n', 's'] as const;

export interface LotChartBucket extends RollupBucket {
  location_id: string;
}

/**
 * One window's buckets after `after` (`limit + 1` rows): one range of `reading_rollups_location` (location,
 * resolution, bucket start; migration 0038), the rows of a bucket merged over every sensor and gateway that
 * read there as `mergeAggregates` does (domain/reading-rollups.ts).
 */
export function windowBucketsQuery(
  db: Kysely<Database>,
  w: BucketWindow,
  resolution: RollupResolution,
  after: KeyValues | undefined,
  limit: number,
) {
  let s = db
    .selectFrom('reading_rollups')
    .select(mergedBucketColumns)
    .where('location_id', '=', w.locationId)
    .where('resolution', '=', resolution)
    .where('bucket_start', '>=', w.lo)
    .where('bucket_start', '<', w.hi);
  if (after) {
    // Past the cursor: later buckets, or the cursor's bucket at a location after the cursor's.
    const [ts, loc] = [Number(after[0]), String(after[1])];
    s = s.where('bucket_start', w.locationId > loc ? '>=' : '>', ts);
  }
  return s
    .groupBy('bucket_start')
    .orderBy('bucket_start')
    .limit(limit + 1);
}

/** The sensors with rollups at a location in bucket starts `[lo, hi]`: the same index range as the buckets. */
export function bucketSensorsQuery(
  db: Kysely<Database>,
  locationId: string,
  resolution: RollupResolution,
  lo: number,
  hi: number,
) {
  return db
    .selectFrom('reading_rollups')
    .select('sensor_id')
    .distinct()
    .where('location_id', '=', locationId)
    .where('resolution', '=', resolution)
    .where('bucket_start', '>=', lo)
    .where('bucket_start', '<=', hi)
    .orderBy('sensor_id');
}

/**
 * One page of a lot's chart buckets in (bucket start, location) order after `after`: each window is read by
 * its own range query, `limit + 1` at most, and the windows merged; per location, the sensors whose rollups
 * the page's buckets merge (docs/architecture.md "Lot chart from rollups").
 */
export async function pageLotChartBuckets(
  db: Kysely<Database>,
  q: {
    windows: readonly BucketWindow[];
    resolution: RollupResolution;
    after: KeyValues | undefined;
    limit: number;
  },
): Promise<{ items: LotChartBucket[]; next: KeyValues | null; sensors: Map<string, string[]> }> {
  const rows: LotChartBucket[] = [];
  for (const w of q.windows) {
    const got = await windowBucketsQuery(db, w, q.resolution, q.after, q.limit).execute();
    for (const r of got)
      rows.push({
        location_id: w.locationId,
        bucket_start: Number(r.bucket_start),
        min_c: Number(r.min_c),
        max_c: Number(r.max_c),
        sum_c: Number(r.sum_c),
        count: Number(r.count),
      });
  }
  rows.sort(
    (a, b) =>
      a.bucket_start - b.bucket_start ||
      (a.location_id < b.location_id ? -1 : a.location_id > b.location_id ? 1 : 0),
  );
  const page = pageOf(rows.slice(0, q.limit + 1), q.limit, (r) => [r.bucket_start, r.location_id]);
  // Per window, the sensors of the page's buckets in it (never those of a gap between two stays there).
  const found = new Map<string, Set<string>>();
  for (const w of q.windows) {
    const starts = page.items
      .filter((b) => b.location_id === w.locationId && b.bucket_start >= w.lo && b.bucket_start < w.hi)
      .map((b) => b.bucket_start);
    if (starts.length === 0) continue;
    const got = await bucketSensorsQuery(
      db,
      w.locationId,
      q.resolution,
      starts[0]!,
      starts[starts.length - 1]!,
    ).execute();
    const set = found.get(w.locationId) ?? new Set<string>();
    for (const r of got) set.add(r.sensor_id);
    found.set(w.locationId, set);
  }
  const sensors = new Map(
    [...found.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([loc, ids]) => [loc, [...ids].sort()]),
  );
  return { ...page, sensors };
}

export interface StayExcursion {
  id: string;
  location_id: string;
  start_ts: number;
  end_ts: number | null;
  peak_c: number;
  state: string;
  critical: number;
  sensor_ids: string;
}

/**
 * The excursions at the stays' locations that overlap a stay, by start: listed with the chart so a bucket's
 * band never stands alone for an excursion inside it.
 */
export async function stayExcursions(
  db: Kysely<Database>,
  stays: readonly ClippedStay[],
): Promise<StayExcursion[]> {
  const locations = [...new Set(stays.map((s) => s.locationId))];
  if (locations.length === 0) return [];
  const lo = Math.min(...stays.map((s) => s.from));
  const hi = Math.max(...stays.map((s) => s.to));
  const rows = await db
    .selectFrom('excursions')
    .select(['id', 'location_id', 'start_ts', 'end_ts', 'peak_c', 'state', 'critical', 'sensor_ids'])
    .where('location_id', 'in', locations)
    .where('start_ts', '<', hi)
    .where((eb) => eb.or([eb('end_ts', 'is', null), eb('end_ts', '>', lo)]))
    .orderBy('start_ts')
    .orderBy('id')
    .execute();
  return rows
    .map((r) => ({
      ...r,
      start_ts: Number(r.start_ts),
      end_ts: r.end_ts === null ? null : Number(r.end_ts),
      peak_c: Number(r.peak_c),
      critical: Number(r.critical),
    }))
    .filter((e) =>
      stays.some(
        (s) =>
          s.locationId === e.location_id && e.start_ts < s.to && (e.end_ts === null || e.end_ts > s.from),
      ),
    );
}
