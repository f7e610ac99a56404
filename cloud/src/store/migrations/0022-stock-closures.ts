import type { Kysely, Migration } from 'kysely';

/** Migration 0022-stock-closures. Shipped migrations are never edited; add a new one instead. */
export const migration0022: Migration = {
  // docs/domain.md "Rejected stock to its end": the signed record that rejected stock was destroyed or
  // returned to its supplier, and the units it closed (each unit once).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stock_closures')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text')
      .addColumn('epc', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('units', 'integer', (c) => c.notNull())
      .addColumn('signer_id', 'text', (c) => c.notNull())
      .addColumn('signer_username', 'text', (c) => c.notNull())
      .addColumn('printed_name', 'text', (c) => c.notNull())
      .addColumn('meaning', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'bigint', (c) => c.notNull())
      .addColumn('manifest_json', 'text', (c) => c.notNull())
      .addColumn('manifest_hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('stock_closure_units')
      .addColumn('epc', 'text', (c) => c.primaryKey())
      .addColumn('closure_id', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text')
      .execute();
  },
};
