import { manualClock } from '@coldtrace/shared';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { RecoveryTracker } from '../../src/engine/recovery-progress.js';
import { PARTITION_INTERVAL_MS, partitionsModule } from '../../src/modules/partitions-module.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { monthsAround } from '../../src/store/partition-months.js';
import { maintainReadingPartitions, partitionNames } from '../../src/store/reading-partitions.js';
import { metricValue, scrapeMetrics } from '../helpers/metrics.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud } from '../helpers/test-cloud.js';
import { perTestPg } from '../store/pg-fresh.js';

// docs/operations.md "Partitions of readings". Needs PostgreSQL (deploy/dev-services.sh).
const OCT = Date.UTC(2026, 9, 15);
/** Conditions are awaited, never slept for; this only bounds a failing test. */
const WAIT = { timeout: 20_000 };
const DEC = Date.UTC(2026, 11, 3);

describe('the partitions module (PostgreSQL)', () => {
  const pgs = perTestPg();

  /** A module on a manual wall clock at `now`, stopped after the test, and its metrics. */
  function watched(db: CloudStore['db'], now: number) {
    const registry = new Registry();
    const wallClock = manualClock(now);
    const mod = partitionsModule({
      db,
      wallClock,
      lockTimeoutMs: 200,
      log: pino({ level: 'silent' }),
      registry,
    });
    pgs.defer(() => mod.stop());
    const metric = async (name: string) => metricValue(await registry.metrics(), name);
    return { mod, metric, wallClock };
  }

  /** Another connection with a transaction open, ended after the test. */
  async function openTransaction(url: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    pgs.defer(() => c.end());
    await c.query('begin');
    return c;
  }

  it('keeps months ahead of the wall clock, moves readings out of the default partition, and survives a failed pass', async () => {
    const { store, url } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    const { mod, metric, wallClock } = watched(store.db, T0);

    // An insert into the default partition not yet committed: the first pass can create no partition
    // (each takes the default partition's lock) and gives up after its lock timeout.
    const blocker = await openTransaction(url);
    await blocker.query(
      `insert into readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
       values ('gw-x', 1, 's1', 'room-1', ${DEC}, 5, null, 'ok', ${DEC})`,
    );
    await mod.start();
    await vi.waitFor(
      async () => expect(await metric('coldtrace_reading_partition_failures_total')).toBe(1),
      WAIT,
    );
    expect(await partitionNames(store.db)).toEqual(new Set());
    await blocker.query('commit');

    await store.ingestReadings(
      'gw-1',
      readingsBatch(
        'gw-1',
        readings(25).map((r, i) => ({ ...r, ts: OCT + i * 60_000 })),
      ) as never,
      OCT,
    );
    await wallClock.advanceAsync(PARTITION_INTERVAL_MS);
    await vi.waitFor(
      async () => expect(await metric('coldtrace_readings_partition_moved_total')).toBe(26),
      WAIT,
    );
    expect([...(await partitionNames(store.db))].sort()).toEqual([
      'readings_y2026m10',
      'readings_y2026m11',
      'readings_y2026m12',
      'readings_y2027m01',
    ]);
    expect(await metric('coldtrace_reading_partitions')).toBe(4);
    expect(await metric('coldtrace_readings_default_partition')).toBe(0);

    // Months later, the next pass keeps the partitions ahead of the new month.
    wallClock.set(Date.UTC(2027, 2, 31, 23));
    await wallClock.advanceAsync(PARTITION_INTERVAL_MS);
    await vi.waitFor(async () => expect(await metric('coldtrace_reading_partitions')).toBe(7), WAIT);
    expect(await partitionNames(store.db)).toContain('readings_y2027m06');
    expect(await metric('coldtrace_reading_partition_failures_total')).toBe(1);
  });

  it('runs in a cloud on PostgreSQL, with its metrics on /metrics', async () => {
    const url = await pgs.url();
    const wallClock = manualClock(T0);
    const cloud = await startTestCloud({ database: url }, { wallClock });
    pgs.defer(() => cloud.stop());
    expect(cloud.modules).toContain('reading partitions');
    await vi.waitFor(
      async () => expect(metricValue(await scrapeMetrics(cloud), 'coldtrace_reading_partitions')).toBe(3),
      WAIT,
    );
    expect([...(await partitionNames(cloud.store.db))].sort()).toEqual([
      'readings_y2026m11',
      'readings_y2026m12',
      'readings_y2027m01',
    ]);
  });

  it('rebuilds one closed month a pass, counts it, and a failed rebuild does not stop the partitions', async () => {
    const { store, url } = await pgs.store();
    await maintainReadingPartitions(store.db, { months: monthsAround(OCT, 1) });
    await sql`
      insert into readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
      select 'gw-1', m * 10 + s, 's' || s, 'room-1', ${OCT}::bigint + m * 60000, 5, null, 'ok', ${OCT}::bigint
      from generate_series(0, 99) m, generate_series(0, 9) s`.execute(store.db);
    const { mod, metric } = watched(store.db, DEC + 86_400_000);
    // October's partition held by a transaction: its rebuild fails at its lock timeout.
    const blocker = await openTransaction(url);
    await blocker.query('lock table readings_y2026m10 in share update exclusive mode');
    await mod.start();
    await vi.waitFor(
      async () => expect(await metric('coldtrace_reading_partition_failures_total')).toBe(1),
      WAIT,
    );
    expect(await metric('coldtrace_reading_partitions')).toBe(5);
    expect(await partitionNames(store.db)).toContain('readings_y2027m02');
    expect(await metric('coldtrace_reading_partitions_compacted_total')).toBe(0);
    await blocker.query('commit');

    // October, then November; December is the current month.
    expect((await mod.run())?.compaction).toMatchObject({ outcome: 'compacted', month: 'readings_y2026m10' });
    expect((await mod.run())?.compaction).toMatchObject({ outcome: 'compacted', month: 'readings_y2026m11' });
    expect((await mod.run())?.compaction).toEqual({ outcome: 'none', dropped: [] });
    expect(await metric('coldtrace_reading_partitions_compacted_total')).toBe(2);
    expect(await metric('coldtrace_reading_partition_failures_total')).toBe(1);
  });

  it("rebuilds no month while the start's recovery lasts, and does once it is over", async () => {
    const { store } = await pgs.store();
    await maintainReadingPartitions(store.db, { months: monthsAround(OCT, 1) });
    const recovery = new RecoveryTracker();
    recovery.begin({ locations: ['room-1'] });
    const registry = new Registry();
    const mod = partitionsModule({
      db: store.db,
      wallClock: manualClock(DEC + 86_400_000),
      log: pino({ level: 'silent' }),
      registry,
      recovery,
    });
    pgs.defer(() => mod.stop());
    const metric = async (name: string) => metricValue(await registry.metrics(), name);
    await mod.start();
    const pass = await mod.run();
    expect(pass?.partitions?.partitions).toBe(5);
    expect(pass?.compaction).toEqual({ outcome: 'deferred', dropped: [] });
    expect(await metric('coldtrace_reading_partitions_compacted_total')).toBe(0);
    recovery.done('locations', ['room-1']);
    await vi.waitFor(
      async () => expect(await metric('coldtrace_reading_partitions_compacted_total')).toBe(1),
      WAIT,
    );
  });

  it('on a server before PostgreSQL 12 rebuilds nothing and says so once', async () => {
    const { store } = await pgs.store();
    await maintainReadingPartitions(store.db, { months: monthsAround(OCT, 1) });
    const lines: string[] = [];
    const mod = partitionsModule({
      db: store.db,
      wallClock: manualClock(DEC + 86_400_000),
      serverVersionNum: 110_022,
      log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    expect((await mod.run())?.compaction).toEqual({ outcome: 'unsupported', dropped: [] });
    expect((await mod.run())?.compaction).toEqual({ outcome: 'unsupported', dropped: [] });
    expect(lines.filter((l) => l.includes('REINDEX CONCURRENTLY'))).toHaveLength(1);
  });
});
