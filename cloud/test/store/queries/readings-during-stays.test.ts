import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { stayRangeQuery } from '../../../src/store/queries/readings-during-stays.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';
import { readingsDuringStaysSuite } from './readings-during-stays-suite.js';

readingsDuringStaysSuite('SQLite', () => openDatabase(':memory:'), 150);

describe('lot temperature range query plan (SQLite)', () => {
  it('searches the primary key of reading_rows for the range, in index order: no temp B-tree, no scan', async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const insert = sqlite!.prepare(
        `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
         VALUES (?, ?, ?, ?, ?, 5, NULL, 'ok', 0)`,
      );
      sqlite!.transaction(() => {
        for (let i = 0; i < 20_000; i++)
          insert.run(`gw-${i % 4}`, i, `s-${i % 40}`, `loc-${i % 20}`, i * 1000);
      })();
      sqlite!.exec('ANALYZE');
      const plan = (q: Parameters<typeof sqlitePlan>[1]) => sqlitePlan(sqlite!, q);
      const range = plan(
        stayRangeQuery(db, { locationId: 'loc-3', fromTs: 5_000, toTs: 9_000_000, limit: 1000 }),
      );
      expect(range).toMatch(/SEARCH r USING PRIMARY KEY \(location_key=\? AND ts>\? AND ts<\?\)/);
      expect(range).not.toMatch(/TEMP B-TREE|SCAN r\b/);
      // The check can fail: the old order (ts, gateway_id, seq) over the same index needs a temp B-tree.
      const resorted = plan(
        stayRangeQuery(db, { locationId: 'loc-3', fromTs: 5_000, toTs: 9_000_000 })
          .orderBy('gateway_id')
          .orderBy('seq'),
      );
      expect(resorted).toMatch(/TEMP B-TREE/);
    } finally {
      await close();
    }
  });
});
