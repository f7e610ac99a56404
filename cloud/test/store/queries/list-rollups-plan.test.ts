import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { epcisReadingBucketsQuery } from '../../../src/store/queries/epcis-records.js';
import { rollupPageQuery } from '../../../src/store/queries/list-rollups.js';
import { bucketSensorsQuery, windowBucketsQuery } from '../../../src/store/queries/lot-chart-buckets.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';

/** An analyzed database of 2,000 rollup rows of 11 sensors at 3 locations; `fn` gets the plan of a query. */
async function withRollups(fn: (plan: (q: Parameters<typeof sqlitePlan>[1]) => string, db: Db) => void) {
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
    fn((q) => sqlitePlan(sqlite!, q), db);
  } finally {
    await close();
  }
}
type Db = Awaited<ReturnType<typeof openDatabase>>['db'];

describe('rollups plans (SQLite)', () => {
  /** A page of GET /readings/rollups is one range of the rollups' primary key, from the cursor on, grouped
   * in the key's order without a sort (docs/architecture.md "Reading rollups"). */
  it('reads a page along (sensor_id, resolution, bucket_start) from the cursor, without a temporary B-tree', () =>
    withRollups((plan, db) => {
      const p = plan(
        rollupPageQuery(db, { sensorId: 's-3', resolution: '5m', after: [300_000_000], limit: 100 }),
      );
      // SQLite names the index of a table's primary key constraint `sqlite_autoindex_<table>_1`.
      expect(p).toMatch(
        /USING INDEX sqlite_autoindex_reading_rollups_1 \(sensor_id=\? AND resolution=\? AND bucket_start>\?\)/,
      );
      expect(p).not.toMatch(/TEMP B-TREE/);
    }));

  /** A window of the lot chart is one range of `reading_rollups_location` (migration 0038), whatever sensors
   * read there, grouped in the index's order without a sort (docs/architecture.md "Lot chart from rollups"). */
  it('reads a lot chart window and its sensors along (location_id, resolution, bucket_start)', () =>
    withRollups((plan, db) => {
      const w = { locationId: 'loc-1', lo: 3_000_000, hi: 300_000_000 };
      const range =
        /USING INDEX reading_rollups_location \(location_id=\? AND resolution=\? AND bucket_start>\? AND bucket_start<\?\)/;
      const buckets = plan(windowBucketsQuery(db, w, '5m', [6_000_000, 'loc-0'], 100));
      expect(buckets).toMatch(range);
      // A grouping that needs a sort shows one (TEMP B-TREE): none here.
      expect(buckets).not.toMatch(/TEMP B-TREE/);
      // The sensors: a search by either index (with few sensors SQLite skip-scans the primary key, which
      // covers the sensor), never a scan of the table, as a read without a key is.
      expect(plan(db.selectFrom('reading_rollups').select('sensor_id').distinct())).toMatch(
        /^SCAN reading_rollups/,
      );
      expect(plan(bucketSensorsQuery(db, 'loc-1', '5m', w.lo, w.hi))).toMatch(
        /^SEARCH reading_rollups USING/,
      );
    }));

  /** The EPCIS export's hourly buckets of a stay (docs/epcis.md "Sources"): one range of the same index. */
  it("reads a stay's hourly buckets along (location_id, resolution, bucket_start)", () =>
    withRollups((plan, db) => {
      const p = plan(epcisReadingBucketsQuery(db, 'loc-2', 3_600_000, 360_000_000));
      expect(p).toMatch(
        /SEARCH reading_rollups USING INDEX reading_rollups_location \(location_id=\? AND resolution=\? AND bucket_start>\? AND bucket_start<\?\)/,
      );
      expect(p).not.toMatch(/SCAN reading_rollups/);
    }));
});
