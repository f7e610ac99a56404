import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { epcisPassesQuery, epcisReadingsQuery } from '../../../src/store/queries/epcis-records.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';
import { epcisRecordsSuite } from './epcis-records-suite.js';

epcisRecordsSuite('SQLite', () => openDatabase(':memory:'), 150);

describe('EPCIS export query plans (SQLite)', () => {
  it("reads a lot's passes and a location's readings by index ranges, not by scanning the tables", async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const movement = sqlite!.prepare(
        `INSERT INTO movements (gateway_id, seq, epc, portal_id, kind, from_location, to_location, direction, ts,
           first_seen, last_seen, reads, peak_rssi, received_at)
         VALUES (?, ?, ?, 'door', 'pass', 'a', 'b', 'in', ?, 0, 0, 1, -50, 0)`,
      );
      const reading = sqlite!.prepare(
        `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
         VALUES (?, ?, ?, ?, ?, 5, NULL, 'ok', 0)`,
      );
      sqlite!.transaction(() => {
        for (let i = 0; i < 20_000; i++) {
          movement.run(`gw-${i % 4}`, i, `E${i % 5000}`, i * 1000);
          reading.run(`gw-${i % 4}`, i, `s-${i % 40}`, `loc-${i % 20}`, i * 1000);
        }
      })();
      sqlite!.exec('ANALYZE');
      const passes = sqlitePlan(
        sqlite!,
        epcisPassesQuery(db, 1_000_000).where('epc', 'in', ['E1', 'E2', 'E3']),
      );
      expect(passes).toMatch(/SEARCH movements USING INDEX movements_epc_ts \(epc=\?\)/);
      expect(passes).not.toMatch(/SCAN movements/);
      // The check can fail: without the EPCs (the whole export) the table is scanned.
      expect(sqlitePlan(sqlite!, epcisPassesQuery(db, 1_000_000))).toMatch(/SCAN movements/);
      const readings = sqlitePlan(sqlite!, epcisReadingsQuery(db, 'loc-3', 5_000, 9_000_000, 1_000_000));
      expect(readings).toMatch(/SEARCH r USING PRIMARY KEY \(location_key=\? AND ts>\? AND ts<\?\)/);
      expect(readings).not.toMatch(/SCAN r\b/);
    } finally {
      await close();
    }
  });
});
