import type { ReadingsBatch } from '@coldtrace/shared';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SinkOutbox } from '../../src/sinks/sink-outbox.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrations.js';
import { monthIndexOf } from '../../src/store/partition-months.js';
import { maintainReadingPartitions } from '../../src/store/reading-partitions.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { perTestPg } from '../store/pg-fresh.js';

// docs/operations.md "Partitions of readings": a sink reads each queued reading from its month alone.
// Needs PostgreSQL (deploy/dev-services.sh).
const OCT = Date.UTC(2026, 9, 15);

const pgs = perTestPg();

const batchAt = (firstSeq: number, n: number, ts: number) =>
  readingsBatch(
    'gw-1',
    readings(n, { firstSeq }).map((r, i) => ({ ...r, ts: ts + i * 60_000 })),
  ) as ReadingsBatch;

describe('the sink outbox over partitioned readings (PostgreSQL)', () => {
  it('takes each queued reading from its own month partition, the others pruned', async () => {
    const { store } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    const first = monthIndexOf(OCT);
    await maintainReadingPartitions(store.db, {
      months: [first, first + 1, first + 2, first + 3, first + 4],
    });
    const outbox = new SinkOutbox(store.db, 'influx');
    await outbox.setEnabled(true, T0);
    await store.ingestReadings('gw-1', batchAt(1, 20, OCT), OCT);
    await store.ingestReadings('gw-1', batchAt(21, 30, T0), T0);

    const taken = await outbox.take(100);
    expect(taken).toHaveLength(50);
    expect(taken.every((r) => r.sensor_id === 's1' && r.ts !== null)).toBe(true);
    expect(taken.map((r) => r.ts)).toEqual(
      (await store.listReadings({ gatewayId: 'gw-1' })).map((r) => r.ts),
    );

    // The plan of a large outbox over large partitions: one index probe per queued row (a nested loop),
    // forced here since the planner would hash these few rows. The time in the join is what lets
    // PostgreSQL prune, row by row, the partitions that cannot hold the row.
    const c = outbox.takeQuery(100).compile();
    const text = c.sql.replace(/\$(\d+)/g, (_, n) => {
      const v = c.parameters[Number(n) - 1];
      return typeof v === 'number' ? String(v) : `'${String(v)}'`;
    });
    const executed = (query: string) =>
      store.db.transaction().execute(async (trx) => {
        await sql`set local enable_hashjoin = off`.execute(trx);
        await sql`set local enable_mergejoin = off`.execute(trx);
        const plan = await sql<{
          'QUERY PLAN': string;
        }>`explain (analyze, costs off) ${sql.raw(query)}`.execute(trx);
        const scans = plan.rows
          .map((r) => r['QUERY PLAN'])
          .filter((l) => / on readings_(y\d{4}m\d{2}|default) /.test(l));
        return {
          listed: scans.length,
          read: scans
            .filter((l) => !l.includes('never executed'))
            .map((l) => l.match(/ on (readings_\w+)/)![1])
            .sort(),
        };
      });
    // The precondition: without the time, every partition is read for the same rows.
    const withoutTs = text.replace(/ and "r"\."ts" = "o"\."ts"/, '');
    expect(withoutTs).not.toBe(text);
    expect(await executed(withoutTs)).toEqual({
      listed: 6,
      read: [
        'readings_default',
        'readings_y2026m10',
        'readings_y2026m11',
        'readings_y2026m12',
        'readings_y2027m01',
        'readings_y2027m02',
      ],
    });
    expect(await executed(text)).toEqual({ listed: 6, read: ['readings_y2026m10', 'readings_y2026m11'] });
  });

  it('migration 0041 gives rows queued before it the time of their reading', async () => {
    const { db } = await pgs.bareDb();
    await migrateTo(db, 'postgres', '0040-readings-partitions');
    await sql`insert into readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
      values ('gw-1', 1, 's1', 'room-1', ${OCT}, 5, null, 'ok', 0), ('gw-1', 2, 's1', 'room-1', ${T0}, 6, null, 'ok', 0)`.execute(
      db,
    );
    await sql`insert into sink_outbox (sink, gateway_id, seq) values ('influx', 'gw-1', 1), ('influx', 'gw-1', 2), ('influx', 'gw-1', 3)`.execute(
      db,
    );
    await migrateToLatest(db, 'postgres');
    const rows = await sql<{
      seq: number;
      ts: string | null;
    }>`select seq, ts from sink_outbox order by seq`.execute(db);
    expect(rows.rows.map((r) => [Number(r.seq), r.ts === null ? null : Number(r.ts)])).toEqual([
      [1, OCT],
      [2, T0],
      [3, null],
    ]);
  });
});
