import type { Kysely, Migration } from 'kysely';

/** Migration 0021-release-proposals. Shipped migrations are never edited; add a new one instead. */
export const migration0021: Migration = {
  // docs/domain.md "Two-person release": the first signature of a release the two-person rule guards,
  // waiting for another QA user's; its manifest binds the justification (21 CFR 11.70).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('release_proposals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('excursion_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text')
      .addColumn('epc', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('justification', 'text', (c) => c.notNull())
      .addColumn('needs_json', 'text', (c) => c.notNull())
      .addColumn('excursion_version', 'integer', (c) => c.notNull())
      .addColumn('units', 'integer', (c) => c.notNull())
      .addColumn('signer_id', 'text', (c) => c.notNull())
      .addColumn('signer_username', 'text', (c) => c.notNull())
      .addColumn('printed_name', 'text', (c) => c.notNull())
      .addColumn('meaning', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'bigint', (c) => c.notNull())
      .addColumn('manifest_json', 'text', (c) => c.notNull())
      .addColumn('manifest_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('disposition_id', 'text')
      .addColumn('decided_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('release_proposals_excursion')
      .on('release_proposals')
      .columns(['excursion_id', 'state'])
      .execute();
  },
};
