import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import type { LocationSensorRow } from '../../src/domain/location-sensors.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import type { Database } from '../../src/store/schema.js';
import { deliverHistory, history } from './reading-rollups-suite.js';

const key = (r: LocationSensorRow) => `${r.location_id}\u0000${r.sensor_id}\u0000${r.gateway_id}`;
const ordered = (rows: LocationSensorRow[]) => rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
const numbers = (
  rows: Array<{
    location_id: string;
    sensor_id: string;
    gateway_id: string;
    first_ts: unknown;
    last_ts: unknown;
  }>,
) =>
  ordered(
    rows.map((r) => ({
      location_id: r.location_id,
      sensor_id: r.sensor_id,
      gateway_id: r.gateway_id,
      first_ts: Number(r.first_ts),
      last_ts: Number(r.last_ts),
    })),
  );

/** The stored `location_sensors` rows (of some locations, or all), in key order, numbers as numbers. */
export async function storedLocationSensors(db: Kysely<Database>, locations?: readonly string[]) {
  let q = db.selectFrom('location_sensors').selectAll();
  if (locations) q = q.where('location_id', 'in', locations);
  return numbers(await q.execute());
}

/** The same recomputed from the raw `readings`: min and max time per (location, sensor, gateway). */
export async function recomputedLocationSensors(db: Kysely<Database>, locations?: readonly string[]) {
  let q = db
    .selectFrom('readings')
    .select(['location_id', 'sensor_id', 'gateway_id'])
    .select((eb) => [eb.fn.min('ts').as('first_ts'), eb.fn.max('ts').as('last_ts')])
    .groupBy(['location_id', 'sensor_id', 'gateway_id']);
  if (locations) q = q.where('location_id', 'in', locations);
  return numbers(await q.execute());
}

/** Replaces the table by a recomputation from the readings (what migration 0042 backfills). */
export async function backfillLocationSensors(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('location_sensors').execute();
  await sql`insert into location_sensors (location_id, sensor_id, gateway_id, first_ts, last_ts)
    select location_id, sensor_id, gateway_id, min(ts), max(ts) from readings
    group by location_id, sensor_id, gateway_id`.execute(db);
}

/**
 * The property (docs/architecture.md "Lot assessment cache"): whatever the order, batching and
 * duplication of deliveries (the rollup property's histories, several ingestors on PostgreSQL), the
 * sensor spans ingest maintained equal a recomputation from the raw readings, readings without a value
 * included.
 */
export async function checkLocationSensorsProperty(
  stores: readonly CloudStore[],
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(history, async (h) => {
      const { locations } = await deliverHistory(stores, h);
      const db = stores[0]!.db;
      const stored = await storedLocationSensors(db, locations);
      expect(stored.length).toBeGreaterThan(0);
      expect(stored).toEqual(await recomputedLocationSensors(db, locations));
    }),
    { numRuns },
  );
}
