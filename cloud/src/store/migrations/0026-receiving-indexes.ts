import type { Kysely, Migration } from 'kysely';

/** Migration 0026-receiving-indexes. Shipped migrations are never edited; add a new one instead. */
export const migration0026: Migration = {
  // The receiving check (docs/barcode.md "Receiving check"): the stays that ended at the shipping location
  // in a window, and a location's scans in a window, read from an index range rather than the location's
  // whole history.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('custody_location_left')
      .on('custody')
      .columns(['location_id', 'left_at'])
      .execute();
    await db.schema.createIndex('scans_location_ts').on('scans').columns(['location_id', 'ts']).execute();
  },
};
