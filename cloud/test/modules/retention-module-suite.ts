import { manualClock, type Reading } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type RetentionModule, retentionModule } from '../../src/modules/retention-module.js';
import type { Dialect } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/schema.js';
import { evaluateAll, type Harness, location } from '../domain/harness.js';
import { readingsBatch } from '../helpers/records.js';
import { countIn } from '../store/reading-archives-suite.js';

export const DAY = 86_400_000;
/** Wall-clock "now" of the tests: with 30 days of retention, October and November 2026 have expired. */
export const NOW = Date.UTC(2027, 0, 20, 12);
export const OCT = Date.UTC(2026, 9, 1);
export const DEC = Date.UTC(2026, 11, 1);
export const JAN = Date.UTC(2027, 0, 1);
export const INTERVAL = 3_600_000;

/** gw-a: sensor s-1 at room-a every 30 min from 1 October to 31 December 2026, in range, evaluated. */
export async function retentionWorld(h: Harness): Promise<void> {
  await location(h, 'room-a');
  const rs: Reading[] = [];
  let seq = 0;
  for (let ts = OCT; ts < Date.UTC(2026, 11, 31); ts += 30 * 60_000)
    rs.push({ seq: ++seq, sensorId: 's-1', locationId: 'room-a', ts, tempC: 5, quality: 'ok' });
  for (let i = 0; i < rs.length; i += 48)
    await h.store.ingestReadings('gw-a', readingsBatch('gw-a', rs.slice(i, i + 48)), OCT + i);
  await evaluateAll(h);
}

export const stored = (h: Harness, from: number, to: number) => countIn(h.store, from, to);

export interface TestRetention {
  module: RetentionModule;
  clock: ReturnType<typeof manualClock>;
  metric(name: string): Promise<number>;
}

export function testRetention(
  db: Kysely<Database>,
  dialect: Dialect,
  archiveDir: string,
  clock = manualClock(NOW),
): TestRetention {
  const registry = new Registry();
  const module = retentionModule({
    db,
    dialect,
    archiveDir,
    rawReadingsDays: 30,
    intervalMs: INTERVAL,
    wallClock: clock,
    log: pino({ level: 'silent' }),
    registry,
  });
  const metric = async (name: string) =>
    (await registry.getSingleMetric(`coldtrace_retention_${name}`)!.get()).values[0]?.value ?? 0;
  return { module, clock, metric };
}
