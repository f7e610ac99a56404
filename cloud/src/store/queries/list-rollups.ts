import type { ExpressionBuilder, Kysely } from 'kysely';
import {
  bucketStart,
  meanOf,
  ROLLUP_RESOLUTIONS,
  type RollupResolution,
} from '../../domain/reading-rollups.js';
import type { Database } from '../schema.js';
import { type KeyValues, pageOf } from './keyset.js';

export interface RollupListQuery {
  sensorId: string;
  resolution: RollupResolution;
  /** Buckets that end after this time (ms): the one holding it first. */
  fromTs?: number | undefined;
  /** Buckets that start before this time (ms). */
  toTs?: number | undefined;
  /** The start of the previous page's last bucket. */
  after?: KeyValues | undefined;
  limit: number;
}

/** The cursor's types, for `decodePageCursor`: a bucket start. */
export const ROLLUP_CURSOR_SHAPE = ['n'] as const;

export interface RollupBucket {
  bucket_start: number;
  min_c: number;
  max_c: number;
  sum_c: number;
  count: number;
}

/**
 * The columns of rollup rows grouped by bucket start: their aggregates merged as `mergeAggregates` does
 * (domain/reading-rollups.ts).
 */
export const mergedBucketColumns = (eb: ExpressionBuilder<Database, 'reading_rollups'>) => [
  'bucket_start' as const,
  eb.fn.min('min_c').as('min_c'),
  eb.fn.max('max_c').as('max_c'),
  eb.fn.sum<number>('sum_c').as('sum_c'),
  eb.fn.sum<number>('count').as('count'),
];

/**
 * The query of one page of a sensor's buckets after `after` (`limit + 1` rows: `pageOf` tells whether more
 * follow): one range of the primary key (sensor, resolution, bucket start, …), read in its order. A bucket
 * of a sensor that readings placed at two locations, or that two gateways relayed, is several rows: they are
 * merged here as `mergeAggregates` does (domain/reading-rollups.ts).
 */
export function rollupPageQuery(db: Kysely<Database>, q: RollupListQuery) {
  let s = db
    .selectFrom('reading_rollups')
    .select(mergedBucketColumns)
    .where('sensor_id', '=', q.sensorId)
    .where('resolution', '=', q.resolution);
  if (q.fromTs !== undefined)
    s = s.where('bucket_start', '>=', bucketStart(q.fromTs, ROLLUP_RESOLUTIONS[q.resolution]));
  if (q.toTs !== undefined) s = s.where('bucket_start', '<', q.toTs);
  if (q.after) s = s.where('bucket_start', '>', Number(q.after[0]));
  return s
    .groupBy('bucket_start')
    .orderBy('bucket_start')
    .limit(q.limit + 1);
}

/** A merged bucket as the API shows it: its span, extremes, mean and count. */
export const bucketView = (b: RollupBucket, width: number) => ({
  start: b.bucket_start,
  end: b.bucket_start + width,
  minC: b.min_c,
  maxC: b.max_c,
  meanC: meanOf({ sum: b.sum_c, count: b.count }),
  count: b.count,
});

/** One page of a sensor's buckets in time order (docs/architecture.md "Reading rollups"), numbers as numbers. */
export async function pageRollups(
  db: Kysely<Database>,
  q: RollupListQuery,
): Promise<{ items: RollupBucket[]; next: KeyValues | null }> {
  const rows = await rollupPageQuery(db, q).execute();
  const items = rows.map((r) => ({
    bucket_start: Number(r.bucket_start),
    min_c: Number(r.min_c),
    max_c: Number(r.max_c),
    sum_c: Number(r.sum_c),
    count: Number(r.count),
  }));
  return pageOf(items, q.limit, (r) => [r.bucket_start]);
}
