import { type RollupReading, rollupRows } from '../../src/domain/reading-rollups.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { rollupValues, SQLITE_ROLLUP_UPSERT } from '../../src/store/ingest/rollup-upsert.js';
import { location } from '../domain/harness.js';

const MIN = 60_000;
const DAY = 86_400_000;

export interface BacklogOptions {
  locationId: string;
  /** Sensors at the location, `<location>-s<k>`. */
  sensors: number;
  days: number;
  /** Sampling interval of every sensor. */
  intervalMs: number;
  /** Event time of the first readings. */
  t0: number;
}

/**
 * Sensor `k`'s temperature at `i`-th sample, or undefined when it sent none: 5 °C ± 0.5 with, every 1.7 days
 * (shifted per sensor), a 45-minute spell at 9.5 °C (above the 8 °C limit for longer than the 10-minute
 * alarm delay: an excursion, overlapping the other sensors' now and then), and every 3.1 days a 35-minute
 * silence (more than the 30-minute maximum gap: a monitoring gap).
 */
export function backlogTemp(k: number, ts: number, t0: number): number | undefined {
  const t = ts - t0 + k * 0.3 * DAY;
  if (t % (3.1 * DAY) < 35 * MIN) return undefined;
  if (t % (1.7 * DAY) < 45 * MIN) return 9.5;
  return 5 + 0.5 * Math.sin(ts / (3 * 3_600_000));
}

/**
 * A recovery backlog built fast: a new location (the harness's: 2–8 °C, 10-minute alarm delay, 30-minute
 * maximum gap; its creation commits a whole-history evaluation mark, as for any new location) and its
 * readings written straight into a SQLite store with one prepared INSERT per reading in one transaction
 * (the rows ingest writes, and their rollups, without the reading digests, which evaluation does not read). Nothing is
 * evaluated: the mark is what a start recovers. Returns the number of readings.
 */
export async function writeRecoveryBacklog(store: CloudStore, o: BacklogOptions): Promise<number> {
  const sqlite = store.opened.sqlite;
  if (!sqlite) throw new Error('writeRecoveryBacklog writes SQLite stores only');
  await location({ store }, o.locationId);
  const insert = sqlite.prepare(
    `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
     VALUES (?, ?, ?, ?, ?, ?, NULL, 'ok', ?)`,
  );
  const upsert = sqlite.prepare(SQLITE_ROLLUP_UPSERT);
  const gateway = `gw-${o.locationId}`;
  const samples = Math.floor((o.days * DAY) / o.intervalMs);
  let n = 0;
  sqlite.transaction(() => {
    const stored: RollupReading[] = [];
    for (let i = 0; i < samples; i++) {
      const ts = o.t0 + i * o.intervalMs;
      for (let k = 0; k < o.sensors; k++) {
        const temp = backlogTemp(k, ts, o.t0);
        if (temp === undefined) continue;
        n++;
        const sensorId = `${o.locationId}-s${k}`;
        insert.run(gateway, n, sensorId, o.locationId, ts, temp, ts);
        stored.push({ sensorId, locationId: o.locationId, ts, tempC: temp });
      }
    }
    for (const row of rollupRows(gateway, stored)) upsert.run(...rollupValues(row));
  })();
  return n;
}
