import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { type Dialect, migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import type { Database } from '../../../src/store/schema.js';
import { expectSameRollups, recomputedRollups, storedRollups } from '../reading-rollups-suite.js';

const H = 3_600_000;

/**
 * Migration 0031-reading-rollups over readings stored before it (docs/architecture.md "Reading rollups"):
 * its set-based backfill gives the rollups a one-pass recomputation gives, buckets floored also before
 * 1970, readings without a value left out; ingest after it adds to the backfilled buckets.
 */
export function readingRollupsMigrationSuite(open: () => Promise<{ db: Kysely<unknown>; dialect: Dialect }>) {
  it('backfills the rollups of the readings stored before it', async () => {
    const { db, dialect } = await open();
    try {
      await migrateTo(db, dialect, '0030-stock-closure-holds');
      const rows = Array.from({ length: 400 }, (_, i) => {
        const gw = i % 3 === 0 ? 'gw-b' : 'gw-a';
        // From 2 h before 1970 to 2 h after, every 37 s: negative times floor to the bucket before.
        const ts = -2 * H + i * 37_000;
        const temp = i % 11 === 0 ? null : Math.round(Math.sin(i) * 2000) / 100;
        return sql`(${gw}, ${i + 1}, ${`s${i % 2}`}, ${`room-${i % 4 < 2 ? 1 : 2}`}, ${ts}, ${temp}, NULL, ${temp === null ? 'timeout' : 'ok'}, 0)`;
      });
      await sql`INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
        VALUES ${sql.join(rows)}`.execute(db);
      await migrateToLatest(db, dialect);
      const typed = db as Kysely<Database>;
      const gateways = ['gw-a', 'gw-b'];
      const stored = await storedRollups(typed, gateways);
      expect(stored.filter((r) => r.resolution === '1h').reduce((n, r) => n + r.count, 0)).toBe(
        400 - Math.ceil(400 / 11),
      );
      expect(stored.find((r) => r.resolution === '1h')?.bucket_start).toBe(-2 * H);
      expectSameRollups(stored, await recomputedRollups(typed, gateways));
    } finally {
      await db.destroy();
    }
  });
}
