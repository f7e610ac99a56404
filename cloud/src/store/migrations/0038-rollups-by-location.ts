import type { Kysely, Migration } from 'kysely';

/** Migration 0038-rollups-by-location. Shipped migrations are never edited; add a new one instead. */
export const migration0038: Migration = {
  // docs/architecture.md "Lot chart from rollups": a stay's buckets are one range of (location, resolution,
  // bucket start), whatever sensors read there, so the chart charts every sensor present in the rollups.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('reading_rollups_location')
      .on('reading_rollups')
      .columns(['location_id', 'resolution', 'bucket_start'])
      .execute();
  },
};
