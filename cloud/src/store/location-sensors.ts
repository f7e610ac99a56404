import { type Kysely, sql, type Transaction } from 'kysely';
import { type LocationSensorReading, locationSensorRows } from '../domain/location-sensors.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per statement (5 parameters each, under SQLite's bound-parameter limit). */
const CHUNK = 500;

const wider = (col: 'first_ts' | 'last_ts') =>
  col === 'first_ts'
    ? sql<number>`case when excluded.first_ts < location_sensors.first_ts then excluded.first_ts else location_sensors.first_ts end`
    : sql<number>`case when excluded.last_ts > location_sensors.last_ts then excluded.last_ts else location_sensors.last_ts end`;

/**
 * Widens `location_sensors` (0042, domain/location-sensors.ts) to cover some `readings` rows stored
 * outside ingest (archive restore). Run it in the transaction that stores them; ingest has its own statements
 * (ingest/location-sensors-upsert.ts, the same decision).
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
          .doUpdateSet({ first_ts: wider('first_ts'), last_ts: wider('last_ts') })
          .where((eb) =>
            eb.or([
              eb('excluded.first_ts', '<', eb.ref('location_sensors.first_ts')),
              eb('excluded.last_ts', '>', eb.ref('location_sensors.last_ts')),
            ]),
          ),
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
