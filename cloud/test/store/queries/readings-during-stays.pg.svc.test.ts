import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { monthIndexOf } from '../../../src/store/partition-months.js';
import { stayRangeQuery } from '../../../src/store/queries/readings-during-stays.js';
import { maintainReadingPartitions } from '../../../src/store/reading-partitions.js';
import { pgPlan } from '../../helpers/pg-plan.js';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';
import { readingsDuringStaysSuite } from './readings-during-stays-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).
/** `readings_location_ts` as each month partition has it (migration 0040). */
const LOCATION_TS = /readings_y\d{4}m\d{2}_location_key_ts_idx/;
const dbs: FreshPostgres[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});
const fresh = async () => {
  const pg = await freshPostgresUrl();
  dbs.push(pg);
  return openDatabase(pg.url);
};

readingsDuringStaysSuite('PostgreSQL', fresh, 40);

describe('lot temperature range query plan (PostgreSQL)', () => {
  it('reads a stay through its partition of reading_rows_location_ts on an analyzed 200k-row table: no Seq Scan on readings', async () => {
    const { db, close } = await fresh();
    try {
      // 200,000 readings: 40 locations, 2 sensors each, a reading a minute, in their month's partition.
      await maintainReadingPartitions(db, { months: [monthIndexOf(1700000000000)] });
      await sql`
        INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
        SELECT 'gw-' || (i % 4), i, 's-' || (i % 80), 'loc-' || (i % 40), 1700000000000 + (i / 80) * 60000, 5, NULL, 'ok', 0
        FROM generate_series(1, 200000) AS i`.execute(db);
      await sql`ANALYZE reading_rows`.execute(db);
      const plan = (q: Parameters<typeof pgPlan>[1]) => pgPlan(db, q);
      // A day-long stay of one location (1,440 of its 5,000 readings), first chunk.
      const day = 24 * 3_600_000;
      const range = await plan(
        stayRangeQuery(db, {
          locationId: 'loc-7',
          fromTs: 1700000000000 + day,
          toTs: 1700000000000 + 2 * day,
          limit: 1000,
        }),
      );
      expect(range).toMatch(/Index (Only )?Scan.* on readings|Bitmap Index Scan on readings_/);
      expect(range).toMatch(LOCATION_TS);
      expect(range).not.toMatch(/Seq Scan on readings/);
      // By the location's key (store/reading-key-filters.ts), its range bounded by the stay's times.
      expect(range).toMatch(/Index Cond: \(\(location_key = \$0\) AND \(ts >= /);
      // An open stay (clipped at the largest safe integer) too.
      const open = await plan(
        stayRangeQuery(db, {
          locationId: 'loc-7',
          fromTs: 1700000000000,
          toTs: Number.MAX_SAFE_INTEGER,
          limit: 1000,
        }),
      );
      expect(open).toMatch(LOCATION_TS);
      expect(open).not.toMatch(/Seq Scan on readings/);
      // The check can fail: every location's readings in a range is read by a Seq Scan.
      const all = await plan(db.selectFrom('readings').selectAll().where('ts', '>=', 0));
      expect(all).toMatch(/Seq Scan on readings/);
    } finally {
      await close();
    }
  });
});
