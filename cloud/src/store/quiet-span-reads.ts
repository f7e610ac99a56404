import { type Kysely, sql, type Transaction } from 'kysely';
import type { RollupResolution } from '../domain/reading-rollups.js';
import {
  PROOF_RESOLUTION,
  PROOF_WIDTH_MS,
  type ProofBucket,
  type RawBucket,
} from '../domain/rollup-proof.js';
import type { DomainDatabase } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/**
 * What the proof of a quiet span reads (domain/rollup-proof.ts), over the derive transaction, one query
 * each over a range of the location: its rollups, its raw rows per bucket, the derived rows already stored.
 */

/**
 * The location's buckets (5 minutes, or `resolution`) with start in [from, to], per sensor and bucket
 * (gateways summed): one range of the rollups' location index (0038), whatever sensors read there.
 */
export async function proofBuckets(
  db: Db,
  locationId: string,
  from: number,
  to: number,
  resolution: RollupResolution = PROOF_RESOLUTION,
): Promise<ProofBucket[]> {
  const rows = await db
    .selectFrom('reading_rollups')
    .select((eb) => [
      'sensor_id',
      'bucket_start',
      eb.fn.min('min_c').as('min'),
      eb.fn.max('max_c').as('max'),
      eb.fn.sum<number>('count').as('count'),
    ])
    .where('location_id', '=', locationId)
    .where('resolution', '=', resolution)
    .where('bucket_start', '>=', from)
    .where('bucket_start', '<=', to)
    // Bucket first: the index's order (by sensor first, SQLite sorts several times longer).
    .groupBy(['bucket_start', 'sensor_id'])
    .execute();
  return rows.map((r) => ({
    sensorId: r.sensor_id,
    bucketStart: Number(r.bucket_start),
    min: Number(r.min),
    max: Number(r.max),
    count: Number(r.count),
  }));
}

/**
 * Per sensor and 5-minute bucket (floored as `bucketStart` floors, also before 1970), the stored readings at
 * the location with time in [from, to) and how many of them have a temperature: one range of the readings'
 * (location, time) index.
 */
export async function rawBuckets(db: Db, locationId: string, from: number, to: number): Promise<RawBucket[]> {
  const w = sql.lit(PROOF_WIDTH_MS);
  const bucket = sql<number>`ts - ((ts % ${w}) + ${w}) % ${w}`;
  const rows = await db
    .selectFrom('readings')
    .select((eb) => [
      'sensor_id',
      bucket.as('bucket_start'),
      eb.fn.countAll<number>().as('all'),
      eb.fn.count<number>('temp_c').as('known'),
    ])
    .where('location_id', '=', locationId)
    .where('ts', '>=', from)
    .where('ts', '<', to)
    .groupBy([bucket, 'sensor_id'])
    .execute();
  return rows.map((r) => ({
    sensorId: r.sensor_id,
    bucketStart: Number(r.bucket_start),
    all: Number(r.all),
    known: Number(r.known),
  }));
}

/**
 * Whether a stored excursion (any state) touches [from, to] or a stored monitoring gap overlaps it: one
 * statement (one round trip on PostgreSQL).
 */
export async function derivedIn(db: Db, locationId: string, from: number, to: number): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .exists(
          eb
            .selectFrom('excursions')
            .select('id')
            .where('location_id', '=', locationId)
            .where('start_ts', '<=', to)
            .where((e) => e.or([e('end_ts', '>=', from), e('last_ts', '>=', from)])),
        )
        .as('excursion'),
      eb
        .exists(
          eb
            .selectFrom('monitoring_gaps')
            .select('sensor_id')
            .where('location_id', '=', locationId)
            .where('from_ts', '<=', to)
            .where('to_ts', '>=', from),
        )
        .as('gap'),
    ])
    .executeTakeFirstOrThrow();
  // SQLite answers 0/1, PostgreSQL booleans.
  return Boolean(Number(row.excursion)) || Boolean(Number(row.gap));
}
