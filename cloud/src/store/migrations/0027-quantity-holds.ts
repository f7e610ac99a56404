import type { Kysely, Migration } from 'kysely';

/** Migration 0027-quantity-holds. Shipped migrations are never edited; add a new one instead. */
export const migration0027: Migration = {
  // docs/barcode.md "Quantity custody": units scanned without a serial cannot be locked one by one, so
  // an excursion holds the counted quantity of their lot at the location (domain/locks/quantity-holds.ts):
  // one row per lot, location and excursion, decided by a QA disposition like a lock.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('quantity_holds')
      .addColumn('lot_id', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('excursion_id', 'text', (c) => c.notNull())
      .addColumn('units', 'integer', (c) => c.notNull())
      .addColumn('exposed_from', 'bigint', (c) => c.notNull())
      .addColumn('exposed_to', 'bigint')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('disposition_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('decided_version', 'integer')
      .addColumn('decided_units', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('quantity_holds_pk', ['lot_id', 'location_id', 'excursion_id'])
      .execute();
    await db.schema
      .createIndex('quantity_holds_by_excursion')
      .on('quantity_holds')
      .columns(['excursion_id', 'lot_id'])
      .execute();
    await db.schema
      .createIndex('quantity_holds_by_location')
      .on('quantity_holds')
      .column('location_id')
      .execute();
    await db.schema
      .createIndex('quantity_holds_by_state')
      .on('quantity_holds')
      .columns(['state', 'lot_id'])
      .execute();
  },
};
