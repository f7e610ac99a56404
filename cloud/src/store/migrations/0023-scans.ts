import type { Kysely, Migration } from 'kysely';

/** Migration 0023-scans. Shipped migrations are never edited; add a new one instead. */
export const migration0023: Migration = {
  // docs/barcode.md "Scans in the cloud": each barcode scan as read (the movements stream's record of kind
  // `scan`, keyed like a movement by gateway and stored seq) with what ingest mapped it to: the unit's EPC
  // (a serialised scan, which also gets a `movements` row of kind `scan` for custody) or only its lot (a
  // scan without a serial: quantity custody per lot and location). `scan_flags`: what the code said that
  // master data contradicts (wrong lot, another expiry, an expired unit received), one row per scan and code.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('scans')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('gtin', 'text')
      .addColumn('sscc', 'text')
      .addColumn('hibc', 'text')
      .addColumn('lot', 'text')
      .addColumn('serial', 'text')
      .addColumn('expiry', 'text')
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('epc', 'text')
      .addColumn('lot_id', 'text')
      .addPrimaryKeyConstraint('scans_pk', ['gateway_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('scans_lot_location')
      .on('scans')
      .columns(['lot_id', 'location_id', 'ts'])
      .execute();
    await db.schema.createIndex('scans_epc').on('scans').column('epc').execute();
    await db.schema
      .createTable('scan_flags')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text')
      .addColumn('epc', 'text')
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('scan_flags_pk', ['gateway_id', 'seq', 'code'])
      .execute();
    await db.schema.createIndex('scan_flags_lot').on('scan_flags').column('lot_id').execute();
  },
};
