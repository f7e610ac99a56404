import SqliteDatabase from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import type { Database } from '../../../src/store/schema.js';
import {
  insertSqliteReadings,
  keyInsertSql,
  READING_ROW_INSERT,
  readingRowParams,
} from '../../../src/store/sqlite-reading-rows.js';
import { rowBits, VALUES, VIEW_ROW } from './compact-readings-values.js';

// Migration 0043-compact-readings (SQLite): readings become rows of integer keys and 0.01-unit integers
// behind a view with the former columns. Digests, archives and EPCIS golden files depend on every value
// reading back bit for bit, so each check compares the doubles' bits.

describe('migration 0043-compact-readings (SQLite)', () => {
  let sqlite: SqliteDatabase.Database | undefined;
  afterEach(() => sqlite?.close());
  const open = () => {
    sqlite = new SqliteDatabase(':memory:');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  };
  const all = (db: Kysely<Database>) =>
    db.selectFrom('readings').selectAll().orderBy('gateway_id').orderBy('seq').execute();

  it('keeps every stored reading as it was, value for value, behind a view of the same columns', async () => {
    const db = open();
    await migrateTo(db as Kysely<unknown>, 'sqlite', '0042-location-sensors');
    const rows = Array.from({ length: 400 }, (_, i) => ({
      gateway_id: `gw-${i % 3}`,
      seq: i % 50 === 0 ? 2 ** 52 + i : i + 1,
      sensor_id: `s${i % 7}`,
      location_id: `room-${i % 5}`,
      ts: i % 10 === 0 ? -i * 60_000 : Date.UTC(2026, 9, 20) + i * 61_000,
      temp_c: VALUES[i % VALUES.length]!,
      rh: i % 4 === 0 ? null : VALUES[(i + 3) % VALUES.length]!,
      quality: VALUES[i % VALUES.length] === null ? 'timeout' : i % 11 === 0 ? 'suspect' : 'ok',
      received_at: Date.UTC(2026, 9, 21) + i,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await db
        .insertInto('readings')
        .values(rows.slice(i, i + 100))
        .execute();
    const before = await all(db);
    expect(before).toHaveLength(400);

    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    expect(rowBits(await all(db))).toEqual(rowBits(before));
    const kinds = sqlite!
      .prepare(
        "SELECT name, type FROM sqlite_master WHERE name IN ('readings', 'reading_rows') ORDER BY name",
      )
      .all();
    expect(kinds).toEqual([
      { name: 'reading_rows', type: 'table' },
      { name: 'readings', type: 'view' },
    ]);
    // Clustered by (location, ts); one secondary index, the (gateway, seq) key.
    const indexes = sqlite!
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reading_rows' AND sql IS NOT NULL",
      )
      .pluck()
      .all();
    expect(indexes).toEqual(['reading_rows_gateway_seq']);
    expect(
      sqlite!.prepare("SELECT sql FROM sqlite_master WHERE name = 'reading_rows'").pluck().get(),
    ).toMatch(/WITHOUT ROWID/);
    // Exact two-decimal values are integers, the others kept in the fallback column.
    const stored = sqlite!
      .prepare('SELECT count(temp_cc) AS cc, count(temp_x) AS x FROM reading_rows')
      .get() as { cc: number; x: number };
    expect(stored.cc).toBeGreaterThan(0);
    expect(stored.x).toBeGreaterThan(0);
  });

  it('takes inserts, updates and deletes through the view as the table did', async () => {
    const db = open();
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    const row = VIEW_ROW;
    await db.insertInto('readings').values(row).execute();
    expect(rowBits(await all(db))).toEqual(rowBits([row]));
    // The sensor's span at the location is kept as ingest keeps it: a sensor's readings are read through it.
    const spans = () => db.selectFrom('location_sensors').selectAll().orderBy('location_id').execute();
    expect(await spans()).toEqual([
      { location_id: 'room-new', sensor_id: 's-new', gateway_id: 'gw-new', first_ts: 1_000, last_ts: 1_000 },
    ]);
    // The key is unique as before: a second insert fails, INSERT OR IGNORE keeps the first.
    await expect(
      db
        .insertInto('readings')
        .values({ ...row, temp_c: 9 })
        .execute(),
    ).rejects.toThrow(/UNIQUE constraint failed: reading_rows/);
    sqlite!
      .prepare(
        `INSERT OR IGNORE INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
         VALUES ('gw-new', 7, 's-new', 'room-new', 1000, 9, NULL, 'ok', 0)`,
      )
      .run();
    expect((await all(db))[0]!.temp_c).toBe(0.1 + 0.2);
    // A changed value and a changed location (new keys) read back.
    await db
      .updateTable('readings')
      .set({ temp_c: -4.5, location_id: 'room-2' })
      .where('seq', '=', 7)
      .execute();
    expect(await all(db)).toEqual([{ ...row, temp_c: -4.5, location_id: 'room-2' }]);
    expect((await spans()).map((r) => r.location_id)).toEqual(['room-2', 'room-new']);
    await db.deleteFrom('readings').where('gateway_id', '=', 'gw-new').execute();
    expect(await all(db)).toEqual([]);
    expect(sqlite!.prepare('SELECT count(*) FROM reading_rows').pluck().get()).toBe(0);
  });

  it('stores any double bit for bit, by the ingest statement and by the view alike', async () => {
    const db = open();
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    for (const [c, id] of [
      ['gateway_id', 'gw-ingest'],
      ['sensor_id', 's'],
      ['location_id', 'room'],
      ['quality', 'ok'],
    ] as const)
      sqlite!.prepare(keyInsertSql(c)).run(id);
    const ingest = sqlite!.prepare(READING_ROW_INSERT);
    const viaView = sqlite!.prepare(
      `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
       VALUES ('gw-view', ?, 's', 'room', 0, ?, ?, 'ok', 0)`,
    );
    const read = sqlite!.prepare('SELECT temp_c, rh FROM readings WHERE gateway_id = ? AND seq = ?');
    // Two-decimal values (the integer column, and a few past its range) and any double (the fallback).
    const value = fc.oneof(
      fc.integer({ min: -40_000, max: 40_000 }).map((c) => c / 100),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    let seq = 0;
    fc.assert(
      fc.property(value, value, (a, b) => {
        seq++;
        const row = { gateway_id: 'gw-ingest', seq, sensor_id: 's', location_id: 'room', ts: 0 };
        expect(
          ingest.run(...readingRowParams({ ...row, temp_c: a, rh: b, quality: 'ok', received_at: 0 }))
            .changes,
        ).toBe(1);
        viaView.run(seq, a, b);
        // SQLite keeps no -0 (as the table before 0043 did not): it reads back as 0.
        const want = rowBits([{ temp_c: a === 0 ? 0 : a, rh: b === 0 ? 0 : b }]);
        expect(rowBits([read.get('gw-ingest', seq) as Record<string, unknown>])).toEqual(want);
        expect(rowBits([read.get('gw-view', seq) as Record<string, unknown>])).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts what it stores when written from Kysely, and skips a taken key', async () => {
    const db = open();
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    const row = (seq: number) => ({
      gateway_id: 'gw-k',
      seq,
      sensor_id: 's',
      location_id: 'room',
      ts: seq * 1000,
      temp_c: 3.25,
      rh: null,
      quality: 'ok',
      received_at: 0,
    });
    expect(await insertSqliteReadings(db, [row(1), row(2)])).toEqual([1, 2]);
    expect(await insertSqliteReadings(db, [row(2), row(3)])).toEqual([3]);
    expect(await sql<{ n: number }>`SELECT count(*) AS n FROM readings`.execute(db)).toMatchObject({
      rows: [{ n: 3 }],
    });
  });
});
