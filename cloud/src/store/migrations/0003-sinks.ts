import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0003-sinks. Shipped migrations are never edited; add a new one instead. */
export const migration0003 = (dialect: Dialect): Migration => ({
  // Durable outbox of the time-series sinks (docs/architecture.md "Storage and sinks"). A trigger enqueues
  // every newly inserted reading for each enabled sink in the ingest transaction itself, so nothing is lost
  // between commit and send; duplicates skipped by ON CONFLICT DO NOTHING enqueue nothing.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sink_state')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sink_outbox')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('sink', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sink_outbox_sink_id').on('sink_outbox').columns(['sink', 'id']).execute();
    if (dialect === 'postgres') {
      // One statement-level trigger per INSERT: the transition table holds only the rows inserted.
      await sql`CREATE FUNCTION coldtrace_readings_sink_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO sink_outbox (sink, gateway_id, seq)
            SELECT s.name, i.gateway_id, i.seq FROM inserted i CROSS JOIN sink_state s WHERE s.enabled = 1
            ORDER BY i.gateway_id, i.seq;
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER readings_sink_outbox AFTER INSERT ON readings
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
        EXECUTE FUNCTION coldtrace_readings_sink_outbox()`.execute(db);
    } else {
      await sql`CREATE TRIGGER readings_sink_outbox AFTER INSERT ON readings
        WHEN EXISTS (SELECT 1 FROM sink_state WHERE enabled = 1)
        BEGIN
          INSERT INTO sink_outbox (sink, gateway_id, seq)
            SELECT name, NEW.gateway_id, NEW.seq FROM sink_state WHERE enabled = 1;
        END`.execute(db);
    }
  },
});
