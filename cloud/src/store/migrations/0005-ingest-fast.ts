import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0005-ingest-fast. Shipped migrations are never edited; add a new one instead. */
export const migration0005 = (dialect: Dialect): Migration => ({
  // On SQLite the per-row trigger of 0003 cost ~35 % of the insert rate even with no sink
  // enabled (its WHEN EXISTS subquery runs for every row). SQLite's only writer of `readings` is the
  // ingest fast path (cloud/src/store/sqlite-fast-ingest.ts), which now enqueues each newly inserted
  // reading for every enabled sink in the same transaction, checking sink_state once per batch.
  // PostgreSQL keeps its statement-level trigger (one call per INSERT, not per row).
  async up(db: Kysely<unknown>) {
    if (dialect === 'sqlite') await sql`DROP TRIGGER IF EXISTS readings_sink_outbox`.execute(db);
  },
});
