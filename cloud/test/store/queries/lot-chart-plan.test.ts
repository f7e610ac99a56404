import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { bucketSensorsQuery, windowBucketsQuery } from '../../../src/store/queries/lot-chart-buckets.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';

/**
 * A window of the lot chart is one range of `reading_rollups_location` (location, resolution, bucket start;
 * migration 0038), whatever sensors read there, grouped in the index's order without a sort
 * (docs/architecture.md "Lot chart from rollups").
 */
describe('lot chart window plan (SQLite)', () => {
  it('reads a window and its sensors along (location_id, resolution, bucket_start)', async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const rows = [];
      for (let i = 0; i < 4000; i++)
        rows.push({
          sensor_id: `s-${i % 11}`,
          resolution: i % 2 === 0 ? '5m' : '1h',
          bucket_start: Math.floor(i / 11) * 300_000,
          location_id: `loc-${i % 7}`,
          gateway_id: `gw-${i % 2}`,
          min_c: 1,
          max_c: 2,
          sum_c: 3,
          count: 2,
        } as const);
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('reading_rollups')
          .values(rows.slice(i, i + 200))
          .execute();
      sqlite!.exec('ANALYZE');
      const w = { locationId: 'loc-3', lo: 3_000_000, hi: 60_000_000 };
      const buckets = sqlitePlan(sqlite!, windowBucketsQuery(db, w, '5m', [6_000_000, 'loc-1'], 100));
      expect(buckets).toMatch(
        /USING INDEX reading_rollups_location \(location_id=\? AND resolution=\? AND bucket_start>\? AND bucket_start<\?\)/,
      );
      // The plan lists a sort when grouping needs one (the sensors' DISTINCT below does): none here.
      expect(buckets).not.toMatch(/TEMP B-TREE/);
      const sensors = sqlitePlan(sqlite!, bucketSensorsQuery(db, 'loc-3', '5m', 3_000_000, 60_000_000));
      expect(sensors).toMatch(/TEMP B-TREE/);
      expect(sensors).toMatch(
        /USING INDEX reading_rollups_location \(location_id=\? AND resolution=\? AND bucket_start>\? AND bucket_start<\?\)/,
      );
    } finally {
      await close();
    }
  });
});
