import type { Kysely, Migration } from 'kysely';

/** Migration 0008-stream-epochs. Shipped migrations are never edited; add a new one instead. */
export const migration0008: Migration = {
  // Edge buffer epochs (docs/durability.md "Epoch"): one row per (gateway, stream, epoch) the cloud has
  // seen, in the order it saw them. Epoch index k owns the stored sequence space
  // k × 2^40 + 1 .. (k + 1) × 2^40 − 1 (`seq_offset` = k × 2^40 is added to every wire seq before storing),
  // so a gateway whose buffer was lost and restarts at seq 1 never collides with its old keys.
  // A row with k > 0 is a sequence reset: it keeps the epoch it replaced and that epoch's high water.
  // Streams without a row (gateways that never sent an epoch) use offset 0.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stream_epochs')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('epoch_index', 'integer', (c) => c.notNull())
      .addColumn('epoch', 'text', (c) => c.notNull())
      .addColumn('seq_offset', 'bigint', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('prev_epoch', 'text')
      .addColumn('prev_high_water', 'bigint')
      .addPrimaryKeyConstraint('stream_epochs_pk', ['gateway_id', 'stream', 'epoch_index'])
      .addUniqueConstraint('stream_epochs_epoch', ['gateway_id', 'stream', 'epoch'])
      .execute();
  },
};
