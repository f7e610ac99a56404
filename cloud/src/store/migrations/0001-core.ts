import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Migration 0001-core. Shipped migrations are never edited; add a new one instead. */
export const migration0001 = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('gateways')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('secret_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('status_json', 'text')
      .addColumn('status_at', 'bigint')
      .addColumn('online', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('readings')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('sensor_id', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('temp_c', 'double precision')
      .addColumn('rh', 'double precision')
      .addColumn('quality', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('readings_pk', ['gateway_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('readings_location_ts')
      .on('readings')
      .columns(['location_id', 'ts'])
      .execute();
    await db.schema.createIndex('readings_sensor_ts').on('readings').columns(['sensor_id', 'ts']).execute();

    await db.schema
      .createTable('movements')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('epc', 'text', (c) => c.notNull())
      .addColumn('portal_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('from_location', 'text')
      .addColumn('to_location', 'text', (c) => c.notNull())
      .addColumn('direction', 'text')
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      .addColumn('reads', 'integer', (c) => c.notNull())
      .addColumn('peak_rssi', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('movements_pk', ['gateway_id', 'seq'])
      .execute();
    await db.schema.createIndex('movements_epc_ts').on('movements').columns(['epc', 'ts']).execute();

    await db.schema
      .createTable('alarms')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('alarm_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('location_id', 'text')
      .addColumn('sensor_id', 'text')
      .addColumn('value', 'double precision')
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('alarms_pk', ['gateway_id', 'seq'])
      .execute();

    for (const table of ['stream_ranges', 'thinned_ranges']) {
      let t = db.schema
        .createTable(table)
        .addColumn('gateway_id', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('from_seq', 'bigint', (c) => c.notNull())
        .addColumn('to_seq', 'bigint', (c) => c.notNull());
      if (table === 'thinned_ranges') t = t.addColumn('received_at', 'bigint', (c) => c.notNull());
      await t.addPrimaryKeyConstraint(`${table}_pk`, ['gateway_id', 'stream', 'from_seq']).execute();
    }

    await db.schema
      .createTable('dead_letters')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text')
      .addColumn('client_id', 'text')
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('payload_bytes', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('locations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('min_c', 'double precision', (c) => c.notNull())
      .addColumn('max_c', 'double precision', (c) => c.notNull())
      .addColumn('alarm_delay_ms', 'bigint', (c) => c.notNull())
      .addColumn('critical_margin_c', 'double precision', (c) => c.notNull())
      .addColumn('max_gap_ms', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('excursions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('start_ts', 'bigint', (c) => c.notNull())
      .addColumn('end_ts', 'bigint')
      .addColumn('last_ts', 'bigint', (c) => c.notNull())
      .addColumn('excursion_at', 'bigint')
      .addColumn('duration_ms', 'bigint', (c) => c.notNull())
      .addColumn('min_c', 'double precision', (c) => c.notNull())
      .addColumn('max_c', 'double precision', (c) => c.notNull())
      .addColumn('peak_c', 'double precision', (c) => c.notNull())
      .addColumn('critical', 'integer', (c) => c.notNull())
      .addColumn('degree_minutes', 'double precision', (c) => c.notNull())
      .addColumn('mkt_c', 'double precision')
      .addColumn('sensor_ids', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('excursions_location')
      .on('excursions')
      .columns(['location_id', 'start_ts'])
      .execute();

    await db.schema
      .createTable('monitoring_gaps')
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('sensor_id', 'text', (c) => c.notNull())
      .addColumn('from_ts', 'bigint', (c) => c.notNull())
      .addColumn('to_ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_gaps_pk', ['location_id', 'sensor_id', 'from_ts'])
      .execute();
  },
});
