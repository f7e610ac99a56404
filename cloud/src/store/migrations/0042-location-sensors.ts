import { type Kysely, type Migration, sql } from 'kysely';

/** Migration 0042-location-sensors. Shipped migrations are never edited; add a new one instead. */
export const migration0042: Migration = {
  // docs/architecture.md "Lot assessment cache": per location, sensor and relaying gateway (as the
  // rollups, so only the gateway's ingest lock holder upserts a row), the data-time span of its
  // readings there, so a cache hit checks an exposure window's sensor set from a location's few rows
  // rather than its history (domain/location-sensors.ts). A table, not an index on readings: its size is
  // the number of (location, sensor, gateway) triples, so a reading costs no bytes more (docs/performance.md).
  // Backfilled from the readings stored before it, one grouped pass (on PostgreSQL over every partition).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('location_sensors')
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('sensor_id', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('first_ts', 'bigint', (c) => c.notNull())
      .addColumn('last_ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('location_sensors_pk', ['location_id', 'sensor_id', 'gateway_id'])
      .execute();
    await sql`insert into location_sensors (location_id, sensor_id, gateway_id, first_ts, last_ts)
      select location_id, sensor_id, gateway_id, min(ts), max(ts) from readings
      group by location_id, sensor_id, gateway_id`.execute(db);
  },
};
