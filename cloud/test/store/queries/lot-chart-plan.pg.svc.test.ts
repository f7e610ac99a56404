import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { bucketSensorsQuery, windowBucketsQuery } from '../../../src/store/queries/lot-chart-buckets.js';
import { pgPlan } from '../../helpers/pg-plan.js';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).
let pg: FreshPostgres | undefined;
afterAll(async () => pg?.drop());

describe('lot chart window plan (PostgreSQL)', () => {
  it('reads a window and its sensors through reading_rollups_location on an analyzed 200k-row table', async () => {
    pg = await freshPostgresUrl();
    const { db, close } = await openDatabase(pg.url);
    try {
      // 200,000 rollup rows: 40 locations, 2 sensors each, 5-minute buckets.
      await sql`
        INSERT INTO reading_rollups
          (sensor_id, resolution, bucket_start, location_id, gateway_id, min_c, max_c, sum_c, count)
        SELECT 's-' || (i % 80), '5m', 1700000000000 + (i / 80) * 300000, 'loc-' || (i % 40), 'gw-1', 1, 2, 3, 2
        FROM generate_series(1, 200000) AS i`.execute(db);
      await sql`ANALYZE reading_rollups`.execute(db);
      const plan = (q: Parameters<typeof pgPlan>[1]) => pgPlan(db, q);
      // A day of one location (576 of its 5,000 rows).
      const day = 24 * 3_600_000;
      const w = { locationId: 'loc-7', lo: 1700000000000 + day, hi: 1700000000000 + 2 * day };
      for (const q of [
        windowBucketsQuery(db, w, '5m', undefined, 2000),
        bucketSensorsQuery(db, w.locationId, '5m', w.lo, w.hi),
        // An open stay: clipped at the largest safe integer.
        windowBucketsQuery(db, { ...w, hi: Number.MAX_SAFE_INTEGER }, '5m', undefined, 2000),
      ]) {
        const p = await plan(q);
        expect(p).toMatch(/reading_rollups_location/);
        expect(p).not.toMatch(/Seq Scan on reading_rollups/);
      }
      // The check can fail: every location's rollups in a range is read by a Seq Scan.
      const all = await plan(db.selectFrom('reading_rollups').selectAll().where('bucket_start', '>=', 0));
      expect(all).toMatch(/Seq Scan on reading_rollups/);
    } finally {
      await close();
    }
  });
});
