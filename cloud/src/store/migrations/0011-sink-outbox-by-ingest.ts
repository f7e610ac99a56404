import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0011-sink-outbox-by-ingest. Shipped migrations are never edited; add a new one instead. */
export const migration0011 = (dialect: Dialect): Migration => ({
  // The sink outbox is filled by ingest itself on both dialects (`ingestPlan` enqueues each newly stored
  // reading for every enabled sink in the batch's transaction), as SQLite has done since 0005: PostgreSQL's
  // statement-level trigger of 0003 goes, so a reading is never enqueued twice.
  async up(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return;
    await sql`DROP TRIGGER IF EXISTS readings_sink_outbox ON readings`.execute(db);
    await sql`DROP FUNCTION IF EXISTS coldtrace_readings_sink_outbox()`.execute(db);
  },
});
