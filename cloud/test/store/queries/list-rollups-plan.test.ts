import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { rollupPageQuery } from '../../../src/store/queries/list-rollups.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';

/**
 * A page of GET /readings/rollups is one range of the rollups' primary key, from the cursor on, grouped in
 * the key's order without a sort (docs/architecture.md "Reading rollups").
 */
describe('rollups page plan (SQLite)', () => {
  it('reads a page along (sensor_id, resolution, bucket_start) from the cursor, without a temporary B-tree', async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const rows = [];
      for (let i = 0; i < 2000; i++)
        rows.push({
          sensor_id: `s-${i % 11}`,
          resolution: i % 2 === 0 ? '5m' : '1h',
          bucket_start: i * 300_000,
          location_id: `loc-${i % 3}`,
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
      const plan = sqlitePlan(
        sqlite!,
        rollupPageQuery(db, { sensorId: 's-3', resolution: '5m', after: [300_000_000], limit: 100 }),
      );
      // SQLite names the index of a table's primary key constraint `sqlite_autoindex_<table>_1`.
      expect(plan).toMatch(
        /USING INDEX sqlite_autoindex_reading_rollups_1 \(sensor_id=\? AND resolution=\? AND bucket_start>\?\)/,
      );
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } finally {
      await close();
    }
  });
});
