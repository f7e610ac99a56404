import type { Kysely, Migration } from 'kysely';

/** Migration 0009-dead-letter-replay. Shipped migrations are never edited; add a new one instead. */
export const migration0009: Migration = {
  // A dead letter replayed through the ingest pipeline once its cause was fixed (e.g. the gateway was
  // registered after it published through an external broker): when, by whom, and what was stored.
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('dead_letters').addColumn('replayed_at', 'bigint').execute();
    await db.schema.alterTable('dead_letters').addColumn('replayed_by', 'text').execute();
    await db.schema.alterTable('dead_letters').addColumn('replay_result', 'text').execute();
  },
};
