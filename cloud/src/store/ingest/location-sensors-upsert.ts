import type { LocationSensorRow } from '../../domain/location-sensors.js';

/**
 * The upserts that widen `location_sensors` (0042) to a batch's readings: a new (location, sensor)
 * inserted, a stored one's span widened, never narrowed. The same decision on both stores; a row already
 * covering the batch is left unwritten (most batches of a live sensor only move `last_ts`).
 */
/** The widened span's columns, and the condition under which a stored row is written at all. */
export const WIDER_FIRST_TS =
  'case when excluded.first_ts < location_sensors.first_ts then excluded.first_ts else location_sensors.first_ts end';
export const WIDER_LAST_TS =
  'case when excluded.last_ts > location_sensors.last_ts then excluded.last_ts else location_sensors.last_ts end';
export const WIDENS =
  'excluded.first_ts < location_sensors.first_ts or excluded.last_ts > location_sensors.last_ts';

const WIDEN =
  'on conflict (location_id, sensor_id, gateway_id) do update set ' +
  `first_ts = ${WIDER_FIRST_TS}, last_ts = ${WIDER_LAST_TS} where ${WIDENS}`;

/** SQLite, one row (a prepared statement run per row of the batch, not per reading). */
export const SQLITE_LOCATION_SENSORS_UPSERT = `insert into location_sensors (location_id, sensor_id, gateway_id, first_ts, last_ts) values (?, ?, ?, ?, ?) ${WIDEN}`;

/**
 * PostgreSQL, the whole batch in one statement (`unnest`, as pg-unnest-insert.ts): the rows have distinct
 * keys (one `ON CONFLICT DO UPDATE` touches a row once) and come in key order, the order their row locks
 * are taken; a row's key holds its gateway, whose advisory lock the ingest group holds (as the rollups'),
 * so two ingestors never upsert the same row at once.
 */
export const PG_LOCATION_SENSORS_UPSERT =
  'insert into location_sensors (location_id, sensor_id, gateway_id, first_ts, last_ts) ' +
  `select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) ${WIDEN}`;

/** One row's values in column order. */
export const locationSensorValues = (r: LocationSensorRow) =>
  [r.location_id, r.sensor_id, r.gateway_id, r.first_ts, r.last_ts] as const;

/** The rows as one array per column, for `PG_LOCATION_SENSORS_UPSERT`. */
export function locationSensorArrays(rows: readonly LocationSensorRow[]): unknown[][] {
  return [
    rows.map((r) => r.location_id),
    rows.map((r) => r.sensor_id),
    rows.map((r) => r.gateway_id),
    rows.map((r) => r.first_ts),
    rows.map((r) => r.last_ts),
  ];
}
