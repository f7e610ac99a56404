import type { Kysely, Migration } from 'kysely';

/** Migration 0019-read-path-indexes. Shipped migrations are never edited; add a new one instead. */
export const migration0019: Migration = {
  // The keyset orders of the excursion and lock lists (docs/architecture.md "Lists and paging"): a page is
  // read from the index after the previous page's key, not sorted from the whole table.
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('excursions_start').on('excursions').columns(['start_ts', 'id']).execute();
    await db.schema
      .createIndex('locks_created')
      .on('locks')
      .columns(['created_at', 'epc', 'cause', 'rule_key'])
      .execute();
  },
};
