import type { Kysely } from 'kysely';
import { ROLLUP_RESOLUTIONS } from '../../domain/reading-rollups.js';
import type { Database } from '../schema.js';
import { mergedBucketColumns } from './list-rollups.js';

/** An RFID portal pass (a custody change), as the edge reported it. */
export interface StoredEpcisPass {
  /** EPC as hex. */
  epc: string;
  portalId: string;
  from: string;
  to: string;
  direction: 'in' | 'out' | null;
  ts: number;
}

/** SQL `IN` lists are chunked (SQLite's bound-parameter limit; PostgreSQL's plan size). */
const CHUNK = 500;

/**
 * Portal passes an EPCIS export is built from (`kind = 'pass'` with a known origin), of the given EPCs (all
 * when null), whatever their time (custody from passes needs an EPC's passes before the window), in store
 * order (time, gateway, sequence). Set-based per chunk of EPCs on `movements_epc_ts`: a lot's export reads
 * its own units' passes, not the whole movements table.
 */
export async function epcisPasses(
  db: Kysely<Database>,
  epcs: readonly string[] | null,
  limit: number,
): Promise<StoredEpcisPass[]> {
  const query = () => epcisPassesQuery(db, limit);
  const rows = [];
  if (epcs === null) rows.push(...(await query().execute()));
  else {
    for (let i = 0; i < epcs.length; i += CHUNK)
      rows.push(
        ...(await query()
          .where('epc', 'in', epcs.slice(i, i + CHUNK))
          .execute()),
      );
    // Chunks merged back into the one store order.
    rows.sort((a, b) => a.ts - b.ts || cmp(a.gateway_id, b.gateway_id) || a.seq - b.seq);
  }
  return rows.map((m) => ({
    epc: m.epc,
    portalId: m.portal_id,
    from: m.from_location!,
    to: m.to_location,
    direction: m.direction === 'in' || m.direction === 'out' ? m.direction : null,
    ts: m.ts,
  }));
}

/** The passes query before its EPC filter (exported for its plan test). */
export function epcisPassesQuery(db: Kysely<Database>, limit: number) {
  return db
    .selectFrom('movements')
    .select(['epc', 'portal_id', 'from_location', 'to_location', 'direction', 'ts', 'gateway_id', 'seq'])
    .where('kind', '=', 'pass')
    .where('from_location', 'is not', null)
    .orderBy('ts')
    .orderBy('gateway_id')
    .orderBy('seq')
    .limit(limit);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Readings of one location in `[fromTs, toTs)` as the export's sensor reports need them (sensor, time,
 * value), in store order (time, gateway, sequence) on the (location, ts) index: only the three columns, so a
 * long custody does not build whole rows.
 */
export async function epcisReadings(
  db: Kysely<Database>,
  locationId: string,
  fromTs: number,
  toTs: number,
  limit: number,
): Promise<Array<{ sensorId: string; locationId: string; ts: number; tempC: number | null }>> {
  const rows = await epcisReadingsQuery(db, locationId, fromTs, toTs, limit).execute();
  return rows.map((r) => ({ sensorId: r.sensor_id, locationId, ts: r.ts, tempC: r.temp_c }));
}

/** The readings query of `epcisReadings` (exported for its plan test). */
export function epcisReadingsQuery(
  db: Kysely<Database>,
  locationId: string,
  fromTs: number,
  toTs: number,
  limit: number,
) {
  return db
    .selectFrom('readings')
    .select(['sensor_id', 'ts', 'temp_c'])
    .where('location_id', '=', locationId)
    .where('ts', '>=', fromTs)
    .where('ts', '<', toTs)
    .orderBy('ts')
    .orderBy('gateway_id')
    .orderBy('seq')
    .limit(limit);
}

/**
 * A reading-rollup bucket of one sensor at one location (docs/architecture.md "Reading rollups", its
 * gateways merged): the known readings in `[start, end)` as minimum, maximum, sum and count.
 */
export interface StoredReadingBucket {
  sensorId: string;
  locationId: string;
  start: number;
  end: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

/**
 * Hourly reading buckets of one location with bucket starts in `[fromTs, toTs)`, per sensor, the rows of its
 * gateways merged as `mergeAggregates` does (domain/reading-rollups.ts): one range of
 * `reading_rollups_location` (location, resolution, bucket start; migration 0038).
 */
export async function epcisReadingBuckets(
  db: Kysely<Database>,
  locationId: string,
  fromTs: number,
  toTs: number,
): Promise<StoredReadingBucket[]> {
  const rows = await epcisReadingBucketsQuery(db, locationId, fromTs, toTs).execute();
  return rows.map((r) => ({
    sensorId: r.sensor_id,
    locationId,
    start: Number(r.bucket_start),
    end: Number(r.bucket_start) + EPCIS_BUCKET_MS,
    min: Number(r.min_c),
    max: Number(r.max_c),
    sum: Number(r.sum_c),
    count: Number(r.count),
  }));
}

/** The bucket width the export reads: an hour (a 30-day stay is 720 rows per sensor). */
export const EPCIS_BUCKET_MS = ROLLUP_RESOLUTIONS['1h'];

/** The query of `epcisReadingBuckets` (exported for its plan test). */
export function epcisReadingBucketsQuery(
  db: Kysely<Database>,
  locationId: string,
  fromTs: number,
  toTs: number,
) {
  return db
    .selectFrom('reading_rollups')
    .select((eb) => ['sensor_id', ...mergedBucketColumns(eb)])
    .where('location_id', '=', locationId)
    .where('resolution', '=', '1h')
    .where('bucket_start', '>=', fromTs)
    .where('bucket_start', '<', toTs)
    .groupBy(['bucket_start', 'sensor_id']);
}
