import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { pgUnnestInsert } from '../../src/store/ingest/pg-unnest-insert.js';
import { migrateTo } from '../../src/store/migrations.js';
import { monthIndexOf, monthsAround, partitionMonth } from '../../src/store/partition-months.js';
import { maintainReadingPartitions, partitionNames } from '../../src/store/reading-partitions.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { perTestPg } from './pg-fresh.js';

// docs/operations.md "Partitions of readings". Needs PostgreSQL (deploy/dev-services.sh).
const DAY = 86_400_000;
/** Conditions are awaited, never slept for; this only bounds a failing test. */
const WAIT = { timeout: 20_000 };
const OCT = Date.UTC(2026, 9, 15);
const JAN = Date.UTC(2027, 0, 10);

const pgs = perTestPg();

/** Where each reading of the gateway is stored: its partition, by seq. */
async function partitionOf(store: CloudStore, gatewayId: string): Promise<Map<number, string>> {
  const { rows } = await sql<{ seq: string; part: string }>`
    select r.seq, r.tableoid::regclass::text as part from reading_rows r join gateway_keys g on g.key = r.gateway_key
    where g.id = ${gatewayId} order by r.seq`.execute(store.db);
  return new Map(rows.map((r) => [Number(r.seq), r.part]));
}

const batchAt = (gatewayId: string, firstSeq: number, n: number, ts: number, tempC = 5): ReadingsBatch =>
  readingsBatch(
    gatewayId,
    readings(n, { firstSeq, tempC }).map((r, i): Reading => ({ ...r, ts: ts + i * 60_000 })),
  ) as ReadingsBatch;

describe('readings partitioned by month (PostgreSQL)', () => {
  it('migration 0040 moves every stored reading into a partition of its month', async () => {
    const { db } = await pgs.bareDb();
    await migrateTo(db, 'postgres', '0038-rollups-by-location');
    const rows = [OCT, T0, T0 + 1, JAN].map((ts, i) => ({
      gateway_id: 'gw-1',
      seq: i + 1,
      sensor_id: 's1',
      location_id: 'room-1',
      ts,
      temp_c: 4.25 + i,
      rh: i === 0 ? null : 40,
      quality: 'ok',
      received_at: ts + 5,
    }));
    await (db as Kysely<{ readings: (typeof rows)[number] }>).insertInto('readings').values(rows).execute();
    const before = await sql`select * from readings order by seq`.execute(db);

    await migrateTo(db, 'postgres', '0043-compact-readings');

    const kind = await sql<{
      k: string;
    }>`select relkind::text as k from pg_class where relname = 'readings'`.execute(db);
    expect(kind.rows[0]?.k).toBe('p');
    const parts = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'readings'::regclass and c.relname <> 'readings_default' order by 1`.execute(db);
    expect(parts.rows.map((r) => r.name)).toEqual([
      'readings_y2026m10',
      'readings_y2026m11',
      'readings_y2027m01',
    ]);
    const after = await sql`select * from readings order by seq`.execute(db);
    expect(after.rows).toEqual(before.rows);
    const where = await sql<{ seq: string; part: string }>`
      select seq, tableoid::regclass::text as part from readings order by seq`.execute(db);
    expect(where.rows.map((r) => r.part)).toEqual([
      'readings_y2026m10',
      'readings_y2026m11',
      'readings_y2026m11',
      'readings_y2027m01',
    ]);
    const pk = await sql<{ def: string }>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'readings_pk'`.execute(db);
    expect(pk.rows[0]?.def).toBe('PRIMARY KEY (gateway_id, seq, ts)');
    const idx = await sql<{
      name: string;
    }>`select indexname as name from pg_indexes where tablename = 'readings'`.execute(db);
    expect(idx.rows.map((r) => r.name).sort()).toEqual([
      'readings_location_ts',
      'readings_pk',
      'readings_sensor_ts',
    ]);
  });

  it('creates the months ahead once, and moves readings of a month without partition out of the default one', async () => {
    const { store } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    const ahead = monthsAround(T0, 2);
    const first = await maintainReadingPartitions(store.db, { months: ahead });
    expect(first.created).toEqual(['readings_y2026m11', 'readings_y2026m12', 'readings_y2027m01']);
    expect(await maintainReadingPartitions(store.db, { months: ahead })).toMatchObject({
      created: [],
      moved: 0,
    });

    // October has no partition: its readings are stored in the default partition, none is refused.
    expect(await store.ingestReadings('gw-1', batchAt('gw-1', 1, 30, OCT), OCT)).toMatchObject({
      inserted: 30,
    });
    expect(await store.ingestReadings('gw-1', batchAt('gw-1', 31, 10, T0), T0)).toMatchObject({
      inserted: 10,
    });
    const parts = await partitionOf(store, 'gw-1');
    expect(parts.get(1)).toBe('readings_default');
    expect(parts.get(31)).toBe('readings_y2026m11');
    const listed = await store.listReadings({ gatewayId: 'gw-1' });
    expect(listed).toHaveLength(40);

    const pass = await maintainReadingPartitions(store.db, { months: ahead });
    expect(pass).toEqual({ created: ['readings_y2026m10'], moved: 30, partitions: 4, inDefault: 0 });
    const moved = await partitionOf(store, 'gw-1');
    expect([...moved.values()].filter((p) => p === 'readings_y2026m10')).toHaveLength(30);
    expect(await store.listReadings({ gatewayId: 'gw-1' })).toEqual(listed);
    // Replayed after the move: duplicates, found in their new partition.
    expect(await store.ingestReadings('gw-1', batchAt('gw-1', 1, 30, OCT), OCT + DAY)).toMatchObject({
      inserted: 0,
      duplicates: 30,
    });
  });

  it('a number stored in one month and reused in another is a reuse, not a second row under one key', async () => {
    const { store } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    await maintainReadingPartitions(store.db, { months: [monthIndexOf(OCT), ...monthsAround(T0, 2)] });
    expect(await store.ingestReadings('gw-1', batchAt('gw-1', 1, 10, OCT, 3), OCT)).toMatchObject({
      inserted: 10,
    });
    // buffer.db rolled back: seqs 6..12 again, two months later and with other values.
    const again = await store.ingestReadings('gw-1', batchAt('gw-1', 6, 7, JAN - 40 * DAY, 6), T0);
    expect(again).toMatchObject({ inserted: 7, reused: 5 });
    const rows = await store.listReadings({ gatewayId: 'gw-1' });
    expect(rows).toHaveLength(17);
    const keys = rows.map((r) => r.seq);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rows.filter((r) => r.seq <= 10).every((r) => r.temp_c === 3)).toBe(true);
  });

  it('looks for a batch’s seqs in every partition only when the stream’s coverage meets them', async () => {
    const { store } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    await maintainReadingPartitions(store.db, { months: [monthIndexOf(OCT), ...monthsAround(T0, 2)] });
    expect(await store.ingestReadings('gw-1', batchAt('gw-1', 1, 10, OCT), OCT)).toMatchObject({
      inserted: 10,
    });
    const insert = (firstSeq: number, n: number) =>
      store.db.transaction().execute(async (trx) => {
        const sent: string[] = [];
        const seen = new Proxy(trx, {
          get: (t, k) =>
            k === 'executeQuery'
              ? (q: CompiledQuery) => {
                  sent.push(q.sql);
                  return t.executeQuery(q);
                }
              : Reflect.get(t, k),
        });
        const records = batchAt('gw-1', firstSeq, n, JAN - 40 * DAY).records;
        const stored = await pgUnnestInsert(seen, 'readings', 'gw-1', records, 0, T0);
        return { stored, looked: sent.some((q) => q.includes('with taken')), sent: sent.length };
      });
    // Seqs 5..12, two months later: 5..10 are stored in October's partition, so they are looked for there
    // (after the batch's keys (0044) and its coverage are asked).
    expect(await insert(5, 8)).toEqual({ stored: [11, 12], looked: true, sent: 3 });
    // Seqs past the coverage: the plain insert, no look-up planned over the partitions.
    expect(await insert(100, 5)).toEqual({ stored: [100, 101, 102, 103, 104], looked: false, sent: 3 });
  });

  it('a pass creating a month that an open insert holds rows of stops at its lock timeout; the next one moves them', async () => {
    const { store, url } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    await maintainReadingPartitions(store.db, { months: monthsAround(T0, 0) });
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    pgs.defer(() => blocker.end());
    await blocker.query('begin');
    await blocker.query(
      `insert into readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
       values ('gw-x', 1, 's1', 'room-1', ${OCT}, 5, null, 'ok', ${OCT})`,
    );
    const held = await sql<{ n: string }>`
      select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation
      where c.relname = 'readings_default' and l.granted`.execute(store.db);
    expect(Number(held.rows[0]?.n)).toBeGreaterThan(0);
    // Not committed, so a pass does not see it to move; one creating its month must wait for it.
    expect(await maintainReadingPartitions(store.db, { months: [] })).toMatchObject({
      created: [],
      inDefault: 0,
    });
    const october = [monthIndexOf(OCT)];
    await expect(
      maintainReadingPartitions(store.db, { months: october, lockTimeoutMs: 200 }),
    ).rejects.toThrow(/lock timeout/);
    expect(await partitionNames(store.db)).not.toContain(partitionMonth(monthIndexOf(OCT)).name);
    await blocker.query('commit');
    expect(await maintainReadingPartitions(store.db, { months: [] })).toMatchObject({
      created: ['readings_y2026m10'],
      moved: 1,
      inDefault: 0,
    });
  });

  it('a query planned while readings move to their new partition still reads every one', async () => {
    const { store, url } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    await store.ingestReadings('gw-1', batchAt('gw-1', 1, 20, OCT), OCT);
    const conn = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      pgs.defer(() => c.end());
      return c;
    };
    const waiting = async () => {
      const r = await sql<{ n: string }>`select count(*) as n from pg_locks where not granted`.execute(
        store.db,
      );
      return Number(r.rows[0]?.n);
    };
    // A reader in a transaction holds the table: the move must wait for it.
    const holder = await conn();
    await holder.query('begin');
    expect((await holder.query('select count(*)::int as n from readings')).rows[0].n).toBe(20);
    const pass = maintainReadingPartitions(store.db, { months: [] });
    await vi.waitFor(async () => expect(await waiting()).toBe(1), WAIT);
    // A query arriving now waits behind the move; once the move commits it must see the moved rows.
    const reader = await conn();
    const read = reader.query("select count(*)::int as n from readings where gateway_id = 'gw-1'");
    await vi.waitFor(async () => expect(await waiting()).toBe(2), WAIT);
    await holder.query('commit');
    expect(await pass).toMatchObject({ created: ['readings_y2026m10'], moved: 20 });
    expect((await read).rows[0].n).toBe(20);
  });

  it('two clouds passing at once create each partition once', async () => {
    const { store, url } = await pgs.store();
    await store.upsertGateway({ id: 'gw-1', now: T0 });
    await store.ingestReadings('gw-1', batchAt('gw-1', 1, 20, OCT), OCT);
    const other = await openDatabase(url);
    pgs.defer(() => other.db.destroy());
    const months = monthsAround(T0, 3);
    const [a, b] = await Promise.all([
      maintainReadingPartitions(store.db, { months }),
      maintainReadingPartitions(other.db, { months }),
    ]);
    expect([...a.created, ...b.created].sort()).toEqual([
      'readings_y2026m10',
      'readings_y2026m11',
      'readings_y2026m12',
      'readings_y2027m01',
      'readings_y2027m02',
    ]);
    expect(a.moved + b.moved).toBe(20);
    expect(await store.listReadings({ gatewayId: 'gw-1' })).toHaveLength(20);
  });
});
