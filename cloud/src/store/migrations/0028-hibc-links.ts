import type { Kysely, Migration } from 'kysely';

/** Migration 0028-hibc-links. Shipped migrations are never edited; add a new one instead. */
export const migration0028: Migration = {
  // docs/barcode.md "HIBC": an HIBC device identifier (LIC + product number + unit of measure) linked to
  // the GTIN of a registered product, master data an operator maintains (PUT /api/v1/hibc-links/{di}):
  // ingest maps an HIBC scan to custody through it. The GTIN references products, so a link never names
  // a product that does not exist.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('hibc_links')
      .addColumn('di', 'text', (c) => c.primaryKey())
      .addColumn('gtin', 'text', (c) => c.notNull().references('products.gtin'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('hibc_links_gtin').on('hibc_links').column('gtin').execute();
  },
};
