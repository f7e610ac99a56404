import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { type Dialect, migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import type { Database } from '../../../src/store/schema.js';
import { recomputedLocationSensors, storedLocationSensors } from '../location-sensors-suite.js';

const DAY = 86_400_000;

/**
 * Migration 0042-location-sensors over readings stored before it (docs/architecture.md "Lot assessment
 * cache"): its grouped backfill gives each (location, sensor) the span of its readings, readings without a
 * value and before 1970 included. The readings are stored before 0040, so on PostgreSQL they lie in
 * several monthly partitions when 0042 reads them.
 */
export function locationSensorsMigrationSuite(
  open: () => Promise<{ db: Kysely<unknown>; dialect: Dialect }>,
) {
  it('backfills the sensor spans of the readings stored before it', async () => {
    const { db, dialect } = await open();
    try {
      await migrateTo(db, dialect, '0039-derive-lock-row');
      const start = Date.UTC(2026, 9, 20);
      const rows = Array.from({ length: 300 }, (_, i) => {
        // Every 7 h 13 min over three months; a tenth before 1970; every 9th without a value.
        const ts = i % 10 === 0 ? -i * 60_000 : start + i * (7 * 3_600_000 + 13 * 60_000);
        const temp = i % 9 === 0 ? null : (i % 13) / 2;
        return sql`(${'gw-a'}, ${i + 1}, ${`s${i % 4}`}, ${`room-${i % 3}`}, ${ts}, ${temp}, NULL, ${temp === null ? 'timeout' : 'ok'}, 0)`;
      });
      await sql`INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
        VALUES ${sql.join(rows)}`.execute(db);
      await migrateToLatest(db, dialect);
      const typed = db as Kysely<Database>;
      const stored = await storedLocationSensors(typed);
      // 3 locations × 4 sensors, every pair met (i mod 12 covers each).
      expect(stored).toHaveLength(12);
      expect(stored).toEqual(await recomputedLocationSensors(typed));
      expect(Math.min(...stored.map((r) => r.first_ts))).toBeLessThan(0);
      expect(Math.max(...stored.map((r) => r.last_ts))).toBeGreaterThan(start + 80 * DAY);
    } finally {
      await db.destroy();
    }
  });
}
