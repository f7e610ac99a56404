import { type Kysely, type Migration, sql } from 'kysely';

/** Migration 0039-derive-lock-row. Shipped migrations are never edited; add a new one instead. */
export const migration0039: Migration = {
  // store/derive-lock.ts: a shared-mode derive transaction takes the `derive_locks('derive')` row FOR SHARE
  // in one statement, so the row has to exist before any derive transaction. Clouds of earlier versions
  // still upsert it, which leaves it in place.
  async up(db: Kysely<unknown>) {
    await sql`insert into derive_locks (key, n) values ('derive', 0) on conflict (key) do nothing`.execute(
      db,
    );
  },
};
