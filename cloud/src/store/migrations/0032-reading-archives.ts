import type { Kysely, Migration } from 'kysely';

/** Migration 0032-reading-archives. Shipped migrations are never edited; add a new one instead. */
export const migration0032: Migration = {
  // docs/operations.md "Archives of raw readings": one row per archive file of a calendar month (UTC) of
  // readings, with the file's SHA-256 and row count (also on the audit trail as `readings.archived`).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reading_archives')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('period', 'text', (c) => c.notNull().unique())
      .addColumn('from_ts', 'bigint', (c) => c.notNull())
      .addColumn('to_ts', 'bigint', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('rows', 'bigint', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
  },
};
