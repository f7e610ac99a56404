/**
 * Which sensors have read at a location and over which span of data time (`location_sensors`, 0042; per
 * relaying gateway, as `readings` and the rollups key them, so a row is only ever upserted under its
 * gateway's ingest lock and two ingestors never wait on one another's row): what
 * the lot assessment cache checks an exposure window's sensor set against without reading the location's
 * history (docs/architecture.md "Lot assessment cache"). Every path that stores readings widens a row to
 * cover them, in the transaction that stores them; nothing narrows one, so a row covers at least the
 * sensor's readings stored there (exactly them while no reading is deleted).
 */
export interface LocationSensorRow {
  location_id: string;
  sensor_id: string;
  gateway_id: string;
  first_ts: number;
  last_ts: number;
}

/** A stored reading as the table needs it: a reading with no value still shows the sensor there. */
export interface LocationSensorReading {
  locationId: string;
  sensorId: string;
  ts: number;
}

const byKey = (a: LocationSensorRow, b: LocationSensorRow) =>
  a.location_id < b.location_id
    ? -1
    : a.location_id > b.location_id
      ? 1
      : a.sensor_id < b.sensor_id
        ? -1
        : a.sensor_id > b.sensor_id
          ? 1
          : 0;

/**
 * One row per (location, sensor) of some readings of a gateway, with their earliest and latest time, in key order (the
 * order an upsert takes its row locks in, the same in every transaction). A batch holds runs of one
 * sensor's readings: the previous reading's row is checked first, so most readings need no string key.
 */
export function locationSensorRows(
  gatewayId: string,
  readings: readonly LocationSensorReading[],
): LocationSensorRow[] {
  const rows = new Map<string, LocationSensorRow>();
  let row: LocationSensorRow | undefined;
  for (const r of readings) {
    if (row === undefined || row.sensor_id !== r.sensorId || row.location_id !== r.locationId) {
      const key = `${r.locationId}\u0000${r.sensorId}`;
      row = rows.get(key);
      if (!row) {
        row = {
          location_id: r.locationId,
          sensor_id: r.sensorId,
          gateway_id: gatewayId,
          first_ts: r.ts,
          last_ts: r.ts,
        };
        rows.set(key, row);
        continue;
      }
    }
    if (r.ts < row.first_ts) row.first_ts = r.ts;
    if (r.ts > row.last_ts) row.last_ts = r.ts;
  }
  return [...rows.values()].sort(byKey);
}
