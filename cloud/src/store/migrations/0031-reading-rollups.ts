import { type Kysely, type Migration, sql } from 'kysely';
import { ROLLUP_RESOLUTIONS } from '../../domain/reading-rollups.js';

/** Migration 0031-reading-rollups. Shipped migrations are never edited; add a new one instead. */
export const migration0031: Migration = {
  // docs/architecture.md "Reading rollups": per sensor, location and gateway (as `readings` keys them) and
  // bucket, the min, max, sum and count of the temperatures, in `double precision` as `readings.temp_c`
  // stores them. Ingest adds each batch's stored readings in its own transaction; the key leads with the
  // sensor, so one sensor's buckets of one resolution are one range of the primary key.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reading_rollups')
      .addColumn('sensor_id', 'text', (c) => c.notNull())
      .addColumn('resolution', 'text', (c) => c.notNull())
      .addColumn('bucket_start', 'bigint', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('min_c', 'double precision', (c) => c.notNull())
      .addColumn('max_c', 'double precision', (c) => c.notNull())
      .addColumn('sum_c', 'double precision', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('reading_rollups_pk', [
        'sensor_id',
        'resolution',
        'bucket_start',
        'location_id',
        'gateway_id',
      ])
      .execute();
    // Readings stored before rollups existed, one set-based statement per resolution (the floored bucket
    // of domain/reading-rollups.ts `bucketStart`, also for times before 1970).
    for (const [resolution, width] of Object.entries(ROLLUP_RESOLUTIONS)) {
      const w = sql.lit(width);
      const bucket = sql`ts - ((ts % ${w}) + ${w}) % ${w}`;
      await sql`INSERT INTO reading_rollups
          (sensor_id, resolution, bucket_start, location_id, gateway_id, min_c, max_c, sum_c, count)
        SELECT sensor_id, ${sql.lit(resolution)}, ${bucket}, location_id, gateway_id,
          MIN(temp_c), MAX(temp_c), SUM(temp_c), COUNT(*)
        FROM readings WHERE temp_c IS NOT NULL
        GROUP BY sensor_id, ${bucket}, location_id, gateway_id`.execute(db);
    }
  },
};
