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
 * One window's buckets after `after` (`limit + 1` rows): per sensor of the location one range of the rollups'
 * primary key (sensor, resolution, bucket start, …), the location's rows of a bucket merged over its sensors
 * and gateways as `mergeAggregates` does (domain/reading-rollups.ts).
 */
export function windowBucketsQuery(
  db: Kysely<Database>,
  w: BucketWindow,
  sensorIds: readonly string[],
  resolution: RollupResolution,
  after: KeyValues | undefined,
  limit: number,
) {
  let s = db
    .selectFrom('reading_rollups')
    .select(mergedBucketColumns)
    .where('sensor_id', 'in', sensorIds)
    .where('resolution', '=', resolution)
    .where('bucket_start', '>=', w.lo)
    .where('bucket_start', '<', w.hi)
    .where('location_id', '=', w.locationId);
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

/**
 * One page of a lot's chart buckets in (bucket start, location) order after `after`: each window is read by
 * its own range queries, `limit + 1` at most, and the windows merged. `sensorsAt` gives the sensors whose
 * rollups a location's buckets read (docs/architecture.md "Lot chart from rollups").
 */
export async function pageLotChartBuckets(
  db: Kysely<Database>,
  q: {
    windows: readonly BucketWindow[];
    sensorsAt: ReadonlyMap<string, readonly string[]>;
    resolution: RollupResolution;
    after: KeyValues | undefined;
    limit: number;
  },
): Promise<{ items: LotChartBucket[]; next: KeyValues | null }> {
  const rows: LotChartBucket[] = [];
  for (const w of q.windows) {
    const sensors = q.sensorsAt.get(w.locationId) ?? [];
    if (sensors.length === 0) continue;
    const got = await windowBucketsQuery(db, w, sensors, q.resolution, q.after, q.limit).execute();
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
  return pageOf(rows.slice(0, q.limit + 1), q.limit, (r) => [r.bucket_start, r.location_id]);
}

/** Readings read at each end of a stay to find the sensors that read there. */
const EDGE_SAMPLE = 200;

/**
 * The sensors whose rollups each stay location's buckets read: those registered there (master data), those
 * named by its excursions (so a band never misses the sensor of an excursion), and those among the first and
 * last `EDGE_SAMPLE` readings of each stay there (an unregistered sensor reading through the stay); a sensor
 * that read only in the middle of a stay without being registered there or in an excursion is not found.
 */
export async function stayLocationSensors(
  db: Kysely<Database>,
  stays: readonly ClippedStay[],
  excursions: readonly { location_id: string; sensor_ids: string }[],
): Promise<Map<string, string[]>> {
  const found = new Map<string, Set<string>>();
  const add = (loc: string, id: string) => {
    if (id) found.set(loc, (found.get(loc) ?? new Set()).add(id));
  };
  const locations = [...new Set(stays.map((s) => s.locationId))];
  if (locations.length === 0) return new Map();
  const registered = await db
    .selectFrom('sensors')
    .select(['id', 'location_id'])
    .where('location_id', 'in', locations)
    .execute();
  for (const r of registered) add(r.location_id, r.id);
  for (const e of excursions) for (const id of e.sensor_ids.split(',')) add(e.location_id, id);
  for (const st of stays)
    for (const dir of ['asc', 'desc'] as const) {
      const rows = await db
        .selectFrom('readings')
        .select('sensor_id')
        .where('location_id', '=', st.locationId)
        .where('ts', '>=', st.from)
        .where('ts', '<', st.to)
        .orderBy('ts', dir)
        .limit(EDGE_SAMPLE)
        .execute();
      for (const r of rows) add(st.locationId, r.sensor_id);
    }
  return new Map(
    [...found.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([loc, ids]) => [loc, [...ids].sort()]),
  );
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
