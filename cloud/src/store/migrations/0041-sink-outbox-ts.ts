import { type Kysely, type Migration, sql } from 'kysely';

/** Migration 0041-sink-outbox-ts. Shipped migrations are never edited; add a new one instead. */
export const migration0041: Migration = {
  // docs/operations.md "Partitions of readings": a queued reading's time, so a sink reads it from its
  // month's partition alone (PostgreSQL prunes the others per row) rather than probing every partition.
  // Null only for a row whose reading is gone, which a sink skips as before.
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sink_outbox').addColumn('ts', 'bigint').execute();
    await sql`update sink_outbox set ts = (select r.ts from readings r
      where r.gateway_id = sink_outbox.gateway_id and r.seq = sink_outbox.seq)`.execute(db);
  },
};
