import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0006-evaluation-marks. Shipped migrations are never edited; add a new one instead. */
export const migration0006 = (dialect: Dialect): Migration => ({
  // Durable "dirty" marks (docs/domain.md "Evaluation marks"): what the domain engine still has to
  // recompute, written in the same transaction as the events (or the limit change) that make it
  // necessary and deleted in the derive transaction that covers it, so a crash between an acknowledged
  // commit and its evaluation loses nothing. One row per location and batch (event-time window), per EPC
  // and movements batch, or per location whose limits changed (whole history, with the change as cause).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('evaluation_marks')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('from_ts', 'bigint')
      .addColumn('to_ts', 'bigint')
      .addColumn('cause', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('evaluation_marks_subject')
      .on('evaluation_marks')
      .columns(['kind', 'subject'])
      .execute();
  },
});
