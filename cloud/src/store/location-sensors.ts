import { type Kysely, sql, type Transaction } from 'kysely';
import { type LocationSensorReading, locationSensorRows } from '../domain/location-sensors.js';
import { WIDENS, WIDER_FIRST_TS, WIDER_LAST_TS } from './ingest/location-sensors-upsert.js';
import { onPostgres } from './pg-arrays.js';
import type { ReadingSpan } from './queries/nearest-reading.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per statement (5 parameters each, under SQLite's bound-parameter limit). */
const CHUNK = 500;

/**
 * Widens `location_sensors` (0042, domain/location-sensors.ts) to cover some `readings` rows stored
 * outside ingest (archive restore). Run it in the transaction that stores them; ingest has its own statements
 * (ingest/location-sensors-upsert.ts), built from the same expressions.
 */
export async function widenLocationSensors(
  db: Db,
  readings: ReadonlyArray<{ gateway_id: string; location_id: string; sensor_id: string; ts: number }>,
): Promise<void> {
  const byGateway = new Map<string, LocationSensorReading[]>();
  for (const r of readings) {
    const reading = { locationId: r.location_id, sensorId: r.sensor_id, ts: Number(r.ts) };
    const list = byGateway.get(r.gateway_id);
    if (list) list.push(reading);
    else byGateway.set(r.gateway_id, [reading]);
  }
  const rows = [...byGateway].flatMap(([gw, list]) => locationSensorRows(gw, list));
  for (let i = 0; i < rows.length; i += CHUNK)
    await db
      .insertInto('location_sensors')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['location_id', 'sensor_id', 'gateway_id'])
          .doUpdateSet({ first_ts: sql.raw<number>(WIDER_FIRST_TS), last_ts: sql.raw<number>(WIDER_LAST_TS) })
          .where(sql.raw<boolean>(WIDENS)),
      )
      .execute();
}

/**
 * The sensors whose span at the location reaches `from` (all of them for `from` -Infinity), sorted: a
 * superset of the sensors with a stored reading there at or after `from` (the same set while no reading
 * was deleted), read from the location's few rows, not its history.
 */
export async function sensorsCoveringSince(db: Db, locationId: string, from: number): Promise<string[]> {
  let q = db
    .selectFrom('location_sensors')
    .select('sensor_id')
    .distinct()
    .where('location_id', '=', locationId);
  if (Number.isFinite(from)) q = q.where('last_ts', '>=', from);
  return (await q.execute()).map((r) => r.sensor_id).sort();
}

/**
 * The data-time span of a sensor's readings at a location (`nearestReading`'s bound), `null` when it has
 * none there. SQLite only: there every writer keeps `location_sensors` whole (ingest, restore, and the
 * view's triggers for any other), and a sensor's read walks its location's rows, which the span bounds.
 * On PostgreSQL a sensor's read walks its own rows (`reading_rows_sensor_ts`), and a row written there outside
 * the cloud widens no span, so `undefined`: no bound.
 */
export async function sensorSpanAt(db: Db, locationId: string, sensorId: string): Promise<ReadingSpan> {
  if (onPostgres(db)) return undefined;
  const r = await db
    .selectFrom('location_sensors')
    .select((eb) => [eb.fn.min('first_ts').as('first'), eb.fn.max('last_ts').as('last')])
    .where('location_id', '=', locationId)
    .where('sensor_id', '=', sensorId)
    .executeTakeFirst();
  return r?.first == null || r.last == null ? null : { first: Number(r.first), last: Number(r.last) };
}
