import type { Kysely, Migration } from 'kysely';

/** Migration 0030-stock-closure-holds. Shipped migrations are never edited; add a new one instead. */
export const migration0030: Migration = {
  // docs/domain.md "Rejected stock to its end": rejected held quantities (units without serial,
  // quantity_holds 0027) are closed like rejected EPC units. One row per closing record and hold, with the
  // units it closed: a hold rejected again for more units (late data) leaves only the difference open.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stock_closure_holds')
      .addColumn('closure_id', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('excursion_id', 'text', (c) => c.notNull())
      .addColumn('disposition_id', 'text')
      .addColumn('units', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('stock_closure_holds_pk', [
        'closure_id',
        'lot_id',
        'location_id',
        'excursion_id',
      ])
      .execute();
    await db.schema
      .createIndex('stock_closure_holds_by_hold')
      .on('stock_closure_holds')
      .columns(['lot_id', 'location_id', 'excursion_id'])
      .execute();
  },
};
