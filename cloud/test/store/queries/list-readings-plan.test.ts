import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { movementPageQuery } from '../../../src/store/queries/list-gateway-records.js';
import { readingPageQuery } from '../../../src/store/queries/list-readings.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';

/**
 * A page of GET /readings after a cursor, filtered by location or sensor (or of GET /movements, by EPC),
 * starts its index range at the cursor's time rather than at the start of that location's or sensor's history (docs/architecture.md
 * "Lists and paging").
 */
describe('readings page plan (SQLite)', () => {
  it("reads a filtered page from the cursor on along (location, ts) (a sensor: its location's) or (epc, ts)", async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const rows = [];
      for (let i = 0; i < 2000; i++)
        rows.push({
          gateway_id: `gw-${i % 3}`,
          seq: i,
          sensor_id: `s-${i % 11}`,
          location_id: `loc-${i % 7}`,
          ts: i * 1000,
          temp_c: 5,
          rh: null,
          quality: 'ok',
          received_at: i * 1000,
        });
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('readings')
          .values(rows.slice(i, i + 200))
          .execute();
      sqlite!.exec('ANALYZE');
      const after = [500_000, 'gw-1', 500] as const;
      const byLocation = sqlitePlan(
        sqlite!,
        readingPageQuery(db, { locationId: 'loc-3', after, limit: 100 }),
      );
      expect(byLocation).toMatch(/USING PRIMARY KEY \(location_key=\? AND ts>\?\)/);
      // A sensor's page within the location it reports at (pageReadingsJson reads it from location_sensors).
      const bySensor = sqlitePlan(
        sqlite!,
        readingPageQuery(db, { sensorId: 's-3', sensorLocations: ['loc-3'], after, limit: 100 }),
      );
      expect(bySensor).toMatch(/USING PRIMARY KEY \(location_key=\? AND ts>\?\)/);
      for (const p of [byLocation, bySensor]) expect(p).not.toMatch(/SCAN r\b|TEMP B-TREE FOR ORDER BY/);
      // The check can fail: without a cursor the same index is read from the location's first reading.
      const first = sqlitePlan(sqlite!, readingPageQuery(db, { locationId: 'loc-3', limit: 100 }));
      expect(first).toMatch(/USING PRIMARY KEY \(location_key=\?\)/);
      // Nor can the sensor's: without its location every location's rows after the cursor are read and sorted.
      expect(sqlitePlan(sqlite!, readingPageQuery(db, { sensorId: 's-3', after, limit: 100 }))).toMatch(
        /ANY\(location_key\)[\s\S]*TEMP B-TREE FOR ORDER BY|SCAN r\b/,
      );
      // Movements of one EPC likewise along (epc, ts).
      const byEpc = sqlitePlan(sqlite!, movementPageQuery(db, { epc: 'E1', after, limit: 100 }));
      expect(byEpc).toMatch(/movements_epc_ts \(epc=\? AND ts>\?\)/);
    } finally {
      await close();
    }
  });
});
