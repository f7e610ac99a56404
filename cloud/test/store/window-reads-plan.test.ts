import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { windowReads } from '../../src/store/window-reads.js';
import { recordedQueries, sentQueries } from '../helpers/recorded-queries.js';
import { sqlitePlan } from '../helpers/sqlite-plan.js';

// A window's reads for all of its sensors at once (store/window-reads.ts) must each read a time range of the
// (location, ts) index (migration 0043): with `location_id = ?` beside an OR of per-sensor conditions
// SQLite plans the index on the location alone and reads the location's whole history per evaluation.
const SENSORS = ['s-0', 's-1', 's-2', 's-3'];

describe('window reads for several sensors at once: query plans (SQLite)', () => {
  it('search a time range of the location for each sensor, never the whole location', async () => {
    const opened = await openDatabase(':memory:');
    const { sqlite, close } = opened;
    try {
      const insert = sqlite!.prepare(
        `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
         VALUES ('gw-1', ?, ?, ?, ?, 5, NULL, 'ok', 0)`,
      );
      sqlite!.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(i, `s-${i % 8}`, `loc-${i % 2}`, i * 1000);
      })();
      const { db, queries } = recordedQueries(opened.db);
      const reads = windowReads(db);
      const t = 9_000_000;
      const samples = await reads.samples(
        'loc-0',
        SENSORS.map((sensorId) => ({ sensorId, lo: t, hi: t + 60_000 })),
      );
      const values = await reads.valuesAt(
        'loc-0',
        SENSORS.map((sensorId) => ({ sensorId, ts: t })),
      );
      const asks = SENSORS.map((sensorId) => ({ sensorId, ts: t, minC: 2, maxC: 8 }));
      await reads.nearestInRange('loc-0', asks, 'before');
      await reads.nearestInRange('loc-0', asks, 'after');
      // The reads answer (precondition of looking at their plans): s-0 and s-2 are at loc-0.
      expect(samples.map((s) => s.length)).toEqual([8, 0, 8, 0]);
      expect(values.map((v) => v.length)).toEqual([1, 0, 0, 0]);

      const plans = sentQueries(queries)
        .filter((q) => q.sql.includes('"readings"'))
        .map((q) => sqlitePlan(sqlite!, { compile: () => q }));
      expect(plans.length).toBeGreaterThanOrEqual(4);
      for (const plan of plans) {
        expect(plan).toMatch(/USING PRIMARY KEY \(location_key=\? AND ts[<>=]/);
        expect(plan).not.toMatch(/USING PRIMARY KEY \(location_key=\?\)|SCAN r\b/);
      }
      // The check can fail: the same samples as one OR beside the location plan the location alone.
      const or = opened.db
        .selectFrom('readings')
        .select(['sensor_id', 'ts', 'temp_c'])
        .where('location_id', '=', 'loc-0')
        .where((eb) =>
          eb.or(
            SENSORS.map((s) =>
              eb.and([eb('sensor_id', '=', s), eb('ts', '>=', t), eb('ts', '<=', t + 60_000)]),
            ),
          ),
        );
      expect(sqlitePlan(sqlite!, or)).toMatch(/USING PRIMARY KEY \(location_key=\?\)/);
    } finally {
      await close();
    }
  });
});
