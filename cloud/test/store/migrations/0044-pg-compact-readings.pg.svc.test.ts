import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { centi } from '../../../src/domain/centi-values.js';
import { pgInsertReadingRows } from '../../../src/store/ingest/pg-reading-rows.js';
import { migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import { partitionNames } from '../../../src/store/reading-partitions.js';
import { READINGS_COLUMNS } from '../../../src/store/schema/ingest-tables.js';
import type { Database } from '../../../src/store/schema.js';
import { perTestPg } from '../pg-fresh.js';
import { rowBits, VALUES, VIEW_ROW } from './compact-readings-values.js';

// Migration 0044-pg-compact-readings (PostgreSQL): readings become rows of integer keys and 0.01-unit
// integers, partitioned by month as before, behind a view with the former columns. Digests, archives and
// EPCIS golden files depend on every value reading back bit for bit, so each check compares the doubles'
// bits. Needs PostgreSQL (deploy/dev-services.sh).
/** node-postgres gives bigints as text: the rows as the store's readers see them (numbers). */
const numeric = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
    ),
  );

const OCT = Date.UTC(2026, 9, 20);

const pgs = perTestPg();

const all = async (db: Kysely<unknown>) =>
  numeric(
    (
      await sql<Record<string, unknown>>`select ${sql.join(READINGS_COLUMNS.map((c) => sql.ref(c)))}
        from readings order by gateway_id, seq`.execute(db)
    ).rows,
  );

describe('migration 0044-pg-compact-readings (PostgreSQL)', () => {
  it('keeps every stored reading as it was, value for value, in partitions of the same names', async () => {
    const { db } = await pgs.bareDb();
    await migrateTo(db, 'postgres', '0043-compact-readings');
    const rows = Array.from({ length: 400 }, (_, i) => ({
      gateway_id: `gw-${i % 3}`,
      seq: i % 50 === 0 ? 2 ** 52 + i : i + 1,
      sensor_id: `s${i % 7}`,
      location_id: `room-${i % 5}`,
      // October, November, and a time with no month partition (the default one).
      ts: i % 10 === 0 ? 0 - i * 60_000 : OCT + i * 9_000_000,
      temp_c: VALUES[i % VALUES.length]!,
      rh: i % 4 === 0 ? null : VALUES[(i + 3) % VALUES.length]!,
      quality: VALUES[i % VALUES.length] === null ? 'timeout' : i % 11 === 0 ? 'suspect' : 'ok',
      // Received before its time too (a gateway's clock ahead): the lag is negative.
      received_at: i % 9 === 0 ? OCT - 5 : OCT + 40 * 86_400_000 + i,
    }));
    await sql`create table readings_y2026m10 partition of readings
      for values from (${sql.lit(Date.UTC(2026, 9, 1))}) to (${sql.lit(Date.UTC(2026, 10, 1))})`.execute(db);
    await sql`create table readings_y2026m11 partition of readings
      for values from (${sql.lit(Date.UTC(2026, 10, 1))}) to (${sql.lit(Date.UTC(2026, 11, 1))})`.execute(db);
    for (let i = 0; i < rows.length; i += 100)
      await (db as Kysely<Database>)
        .insertInto('readings')
        .values(rows.slice(i, i + 100))
        .execute();
    // node-postgres sends -0 as "0" (`String(-0)`): a -0 reaches the table only written in SQL.
    await sql`update readings set temp_c = '-0'::float8 where gateway_id = 'gw-0' and seq = 4`.execute(db);
    const before = await all(db);
    expect(before).toHaveLength(400);
    const sent = rows.map((r) => ({
      ...r,
      temp_c: r.gateway_id === 'gw-0' && r.seq === 4 ? -0 : r.temp_c === 0 ? 0 : r.temp_c,
      rh: r.rh === 0 ? 0 : r.rh,
    }));
    expect(rowBits(before)).toEqual(
      rowBits(sent.sort((a, b) => a.gateway_id.localeCompare(b.gateway_id) || a.seq - b.seq)),
    );

    await migrateToLatest(db, 'postgres');
    expect(rowBits(await all(db))).toEqual(rowBits(before));
    const kinds = await sql<{ name: string; kind: string }>`select relname as name, relkind::text as kind
      from pg_class where relname in ('readings', 'reading_rows') order by 1`.execute(db);
    expect(kinds.rows).toEqual([
      { name: 'reading_rows', kind: 'p' },
      { name: 'readings', kind: 'v' },
    ]);
    expect([...(await partitionNames(db))].sort()).toEqual(['readings_y2026m10', 'readings_y2026m11']);
    const where = await sql<{
      part: string;
      n: string;
    }>`select tableoid::regclass::text as part, count(*) as n
      from reading_rows group by 1 order by 1`.execute(db);
    expect(where.rows.map((r) => r.part)).toEqual([
      'readings_default',
      'readings_y2026m10',
      'readings_y2026m11',
    ]);
    expect(where.rows.reduce((n, r) => n + Number(r.n), 0)).toBe(400);
    const idx = await sql<{ name: string }>`select indexname as name from pg_indexes
      where tablename = 'reading_rows' order by 1`.execute(db);
    expect(idx.rows.map((r) => r.name)).toEqual([
      'reading_rows_location_ts',
      'reading_rows_pk',
      'reading_rows_sensor_ts',
    ]);
    // Exact two-decimal values are integers; the others, -0 among them, kept in the fallback column.
    const stored = await sql<{ cc: string; x: string; negzero: string }>`select count(temp_cc) as cc,
      count(temp_x) as x, count(*) filter (where temp_x = 0) as negzero from reading_rows`.execute(db);
    expect(Number(stored.rows[0]?.cc)).toBeGreaterThan(0);
    expect(Number(stored.rows[0]?.x)).toBeGreaterThan(0);
    expect(Number(stored.rows[0]?.negzero)).toBeGreaterThan(0);
    // The old table and its partitions are gone.
    const left = await sql<{ n: string }>`select count(*) as n from pg_class
      where relname like 'readings%' and relkind in ('r', 'p') and relname not similar to 'readings_(y\\d{4}m\\d{2}|default)'`.execute(
      db,
    );
    expect(Number(left.rows[0]?.n)).toBe(0);
  });

  it('takes inserts, updates and deletes through the view as the table did', async () => {
    const { db } = await pgs.bareDb();
    await migrateToLatest(db, 'postgres');
    const kdb = db as Kysely<Database>;
    const row = VIEW_ROW;
    await kdb.insertInto('readings').values(row).execute();
    expect(rowBits(await all(db))).toEqual(rowBits([row]));
    // The key is unique as before: a second insert at the same time fails.
    await expect(
      kdb
        .insertInto('readings')
        .values({ ...row, temp_c: 9 })
        .execute(),
    ).rejects.toThrow(/duplicate key value violates unique constraint/);
    // A changed value and a changed location (a new key) read back; the view counts its rows.
    const updated = await kdb
      .updateTable('readings')
      .set({ temp_c: -4.5, location_id: 'room-2' })
      .where('seq', '=', 7)
      .executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(1);
    expect(await all(db)).toEqual([{ ...row, temp_c: -4.5, location_id: 'room-2' }]);
    const deleted = await kdb.deleteFrom('readings').where('gateway_id', '=', 'gw-new').executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(1);
    expect(await all(db)).toEqual([]);
    const n = await sql<{ n: string }>`select count(*) as n from reading_rows`.execute(db);
    expect(Number(n.rows[0]?.n)).toBe(0);
    // Many writes of known ids take no new key numbers (a smallint dictionary would run out otherwise).
    for (let seq = 1; seq <= 50; seq++)
      await kdb
        .insertInto('readings')
        .values({ ...row, seq })
        .execute();
    const last = await sql<{ v: string }>`select last_value::text as v from quality_keys_key_seq`.execute(db);
    expect(last.rows[0]?.v).toBe('1');
  });

  it('stores any double bit for bit, by the restore insert and by the view alike', async () => {
    const { db } = await pgs.bareDb();
    await migrateToLatest(db, 'postgres');
    const kdb = db as Kysely<Database>;
    // Two-decimal values (the integer column, and a few past its range) and any double (the fallback).
    const value = fc.oneof(
      fc.integer({ min: -40_000, max: 40_000 }).map((c) => c / 100),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
    );
    // node-postgres sends -0 as "0" (`String(-0)`), as it did before 0044.
    const pairs = fc
      .sample(fc.tuple(value, value), 1500)
      .map(([a, b]): [number | null, number | null] => [a === 0 ? 0 : a, b === 0 ? 0 : b]);
    const base = { sensor_id: 's', location_id: 'room', ts: 0, quality: 'ok', received_at: 0 };
    const restored = pairs.map(([a, b], i) => ({
      ...base,
      gateway_id: 'gw-rows',
      seq: i + 1,
      temp_c: a,
      rh: b,
    }));
    for (let i = 0; i < restored.length; i += 500)
      await kdb.transaction().execute(async (trx) => {
        expect(await pgInsertReadingRows(trx, restored.slice(i, i + 500))).toBe(
          Math.min(500, restored.length - i),
        );
      });
    // A taken key is skipped, not an error.
    await kdb
      .transaction()
      .execute(async (trx) => expect(await pgInsertReadingRows(trx, restored.slice(0, 3))).toBe(0));
    const viaView = restored.map((r) => ({ ...r, gateway_id: 'gw-view' }));
    for (let i = 0; i < viaView.length; i += 500)
      await kdb
        .insertInto('readings')
        .values(viaView.slice(i, i + 500))
        .execute();
    for (const gw of ['gw-rows', 'gw-view']) {
      const got = await kdb
        .selectFrom('readings')
        .select(['temp_c', 'rh'])
        .where('gateway_id', '=', gw)
        .orderBy('seq')
        .execute();
      expect(rowBits(got)).toEqual(rowBits(pairs.map(([a, b]) => ({ temp_c: a, rh: b }))));
    }
    // The integer column holds exactly the values `centi` accepts, in SQL as in JavaScript.
    const split = await sql<{ cc: string }>`select count(temp_cc) as cc from reading_rows r
      join gateway_keys g on g.key = r.gateway_key where g.id = 'gw-view'`.execute(db);
    expect(Number(split.rows[0]?.cc)).toBe(pairs.filter(([a]) => centi(a) !== null).length);
  });
});
