import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { type Dialect, migrateTo, migrateToLatest } from '../../../src/store/migrations.js';

const deriveRows = async (db: Kysely<unknown>) =>
  (await sql<{ n: unknown }>`select n from derive_locks where key = 'derive'`.execute(db)).rows.map((r) =>
    Number(r.n),
  );

/** An earlier version's derive transaction: it upserts the row (store/derive-lock.ts). */
const earlierDerive = (db: Kysely<unknown>) =>
  sql`insert into derive_locks (key, n) values ('derive', 1) on conflict (key) do update set n = derive_locks.n + 1`.execute(
    db,
  );

/**
 * Migration 0039-derive-lock-row on one dialect: the derive key's row exists after it, whether or not an
 * earlier version's derive transactions created it, and a row they left keeps its count.
 */
export function deriveLockRowMigrationSuite(open: () => Promise<{ db: Kysely<unknown>; dialect: Dialect }>) {
  it('seeds the derive key row on a database that has none', async () => {
    const { db, dialect } = await open();
    await migrateTo(db, dialect, '0038-rollups-by-location');
    expect(await deriveRows(db)).toEqual([]);
    await migrateToLatest(db, dialect);
    expect(await deriveRows(db)).toEqual([0]);
  });

  it("keeps the row earlier versions' derive transactions left, and they still update it", async () => {
    const { db, dialect } = await open();
    await migrateTo(db, dialect, '0038-rollups-by-location');
    await earlierDerive(db);
    await earlierDerive(db);
    expect(await deriveRows(db)).toEqual([2]);
    await migrateToLatest(db, dialect);
    expect(await deriveRows(db)).toEqual([2]);
    await earlierDerive(db);
    expect(await deriveRows(db)).toEqual([3]);
  });
}
