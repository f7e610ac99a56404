import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0002-domain. Shipped migrations are never edited; add a new one instead. */
export const migration0002 = (dialect: Dialect): Migration => ({
  // Domain engine (docs/architecture.md "Semantics"): master data, custody, locks, dispositions, audit chain,
  // integrations outbox.
  async up(db: Kysely<unknown>) {
    for (const [col, type, dflt] of [
      ['created_at', 'bigint', 0],
      ['review_state', 'text', 'pending'],
      ['version', 'integer', 1],
      ['out_of_range_ms', 'bigint', 0],
    ] as const) {
      await db.schema
        .alterTable('excursions')
        .addColumn(col, type, (c) => c.notNull().defaultTo(dflt))
        .execute();
    }
    await db.schema
      .createTable('products')
      .addColumn('gtin', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('min_c', 'double precision', (c) => c.notNull())
      .addColumn('max_c', 'double precision', (c) => c.notNull())
      .addColumn('stability_budget_ms', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('lots')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gtin', 'text', (c) => c.notNull())
      .addColumn('lot_number', 'text', (c) => c.notNull())
      .addColumn('expiry', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('lots_gtin_number', ['gtin', 'lot_number'])
      .execute();
    await db.schema
      .createTable('epcs')
      .addColumn('epc', 'text', (c) => c.primaryKey())
      .addColumn('lot_id', 'text', (c) => c.notNull())
      .addColumn('commissioned_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('epcs_lot').on('epcs').column('lot_id').execute();
    await db.schema
      .createTable('portals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text')
      .addColumn('from_location', 'text')
      .addColumn('to_location', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sensors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('custody')
      .addColumn('epc', 'text', (c) => c.notNull())
      .addColumn('entered_at', 'bigint', (c) => c.notNull())
      .addColumn('left_at', 'bigint')
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('custody_pk', ['epc', 'entered_at'])
      .execute();
    await db.schema
      .createIndex('custody_location')
      .on('custody')
      .columns(['location_id', 'entered_at'])
      .execute();
    await db.schema
      .createTable('locks')
      .addColumn('epc', 'text', (c) => c.notNull())
      .addColumn('excursion_id', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('exposed_from', 'bigint', (c) => c.notNull())
      .addColumn('exposed_to', 'bigint')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('disposition_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('locks_pk', ['epc', 'excursion_id'])
      .execute();
    await db.schema.createIndex('locks_excursion').on('locks').column('excursion_id').execute();
    await db.schema.createIndex('locks_state').on('locks').columns(['state', 'epc']).execute();
    await db.schema
      .createTable('dispositions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('excursion_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('lot_id', 'text')
      .addColumn('epc', 'text')
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('signer_id', 'text', (c) => c.notNull())
      .addColumn('signer_username', 'text', (c) => c.notNull())
      .addColumn('printed_name', 'text', (c) => c.notNull())
      .addColumn('meaning', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'bigint', (c) => c.notNull())
      .addColumn('excursion_version', 'integer', (c) => c.notNull())
      .addColumn('units', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dispositions_excursion').on('dispositions').column('excursion_id').execute();
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('entity_type', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_entity')
      .on('audit_log')
      .columns(['entity_type', 'entity_id'])
      .execute();
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('derive_locks')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('outbox')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema.createIndex('outbox_pending').on('outbox').columns(['delivered_at', 'next_at']).execute();
  },
});
