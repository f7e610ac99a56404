import type { Kysely, Transaction } from 'kysely';
import { PROOF_RESOLUTION, type ProofBucket } from '../domain/rollup-proof.js';
import type { DomainDatabase } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/**
 * What the proof of a quiet span reads (domain/rollup-proof.ts), over the derive transaction: rollups per
 * sensor (the table's key leads with the sensor), raw counts, and the derived rows already stored there.
 */

/** The location's 5-minute buckets of these sensors with start in [from, to], per sensor and bucket. */
export async function proofBuckets(
  db: Db,
  locationId: string,
  sensors: readonly string[],
  from: number,
  to: number,
): Promise<ProofBucket[]> {
  const out: ProofBucket[] = [];
  for (const sensorId of sensors) {
    const rows = await db
      .selectFrom('reading_rollups')
      .select((eb) => [
        'bucket_start',
        eb.fn.min('min_c').as('min'),
        eb.fn.max('max_c').as('max'),
        eb.fn.sum<number>('count').as('count'),
      ])
      .where('sensor_id', '=', sensorId)
      .where('resolution', '=', PROOF_RESOLUTION)
      .where('bucket_start', '>=', from)
      .where('bucket_start', '<=', to)
      .where('location_id', '=', locationId)
      .groupBy('bucket_start')
      .execute();
    for (const r of rows)
      out.push({
        sensorId,
        bucketStart: Number(r.bucket_start),
        min: Number(r.min),
        max: Number(r.max),
        count: Number(r.count),
      });
  }
  return out;
}

/** Per sensor, the stored readings at the location in [from, to) and how many of them have a temperature. */
export async function rawCounts(
  db: Db,
  locationId: string,
  from: number,
  to: number,
): Promise<Map<string, { all: number; known: number }>> {
  const rows = await db
    .selectFrom('readings')
    .select((eb) => [
      'sensor_id',
      eb.fn.countAll<number>().as('all'),
      eb.fn.count<number>('temp_c').as('known'),
    ])
    .where('location_id', '=', locationId)
    .where('ts', '>=', from)
    .where('ts', '<', to)
    .groupBy('sensor_id')
    .execute();
  return new Map(rows.map((r) => [r.sensor_id, { all: Number(r.all), known: Number(r.known) }]));
}

/** Whether a stored excursion (any state) touches [from, to] or a stored monitoring gap overlaps it. */
export async function derivedIn(db: Db, locationId: string, from: number, to: number): Promise<boolean> {
  const excursion = await db
    .selectFrom('excursions')
    .select('id')
    .where('location_id', '=', locationId)
    .where('start_ts', '<=', to)
    .where((eb) => eb.or([eb('end_ts', '>=', from), eb('last_ts', '>=', from)]))
    .limit(1)
    .executeTakeFirst();
  if (excursion) return true;
  const gap = await db
    .selectFrom('monitoring_gaps')
    .select('sensor_id')
    .where('location_id', '=', locationId)
    .where('from_ts', '<=', to)
    .where('to_ts', '>=', from)
    .limit(1)
    .executeTakeFirst();
  return gap !== undefined;
}
