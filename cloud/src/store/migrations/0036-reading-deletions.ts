import type { Kysely, Migration } from 'kysely';

/** Migration 0036-reading-deletions. Shipped migrations are never edited; add a new one instead. */
export const migration0036: Migration = {
  // docs/operations.md "Deleting archived readings": one row per digest batch whose readings were deleted
  // after being proven from a verified archive (`readings.deleted` on the audit trail), and per batch and
  // location the data-time span deleted there (what later limit corrections at the location must respect).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reading_deletions')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('batch_index', 'bigint', (c) => c.notNull())
      .addColumn('from_seq', 'bigint', (c) => c.notNull())
      .addColumn('to_seq', 'bigint', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('archive_id', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint', (c) => c.notNull())
      .addColumn('deleted_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('reading_deletions_pk', ['gateway_id', 'batch_index'])
      .execute();
    await db.schema
      .createIndex('reading_deletions_archive')
      .on('reading_deletions')
      .column('archive_id')
      .execute();
    await db.schema
      .createTable('reading_deletion_spans')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('batch_index', 'bigint', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('archive_id', 'text', (c) => c.notNull())
      .addColumn('from_ts', 'bigint', (c) => c.notNull())
      .addColumn('to_ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('reading_deletion_spans_pk', ['gateway_id', 'batch_index', 'location_id'])
      .execute();
    await db.schema
      .createIndex('reading_deletion_spans_location')
      .on('reading_deletion_spans')
      .columns(['location_id', 'to_ts'])
      .execute();
  },
};
