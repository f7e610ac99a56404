import type { Kysely, Migration } from 'kysely';

/** Migration 0020-sensor-calibration. Shipped migrations are never edited; add a new one instead. */
export const migration0020: Migration = {
  // docs/domain.md "Sensor calibration": a sensor's serial number and its current calibration (certificate,
  // when made, when due); an alarm row per sensor and due date that passed (raised once, cleared by a new
  // calibration).
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sensors').addColumn('serial_number', 'text').execute();
    await db.schema.alterTable('sensors').addColumn('calibration_certificate', 'text').execute();
    await db.schema.alterTable('sensors').addColumn('calibrated_at', 'bigint').execute();
    await db.schema.alterTable('sensors').addColumn('calibration_due', 'bigint').execute();
    await db.schema
      .createTable('calibration_alarms')
      .addColumn('sensor_id', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .addColumn('raised_at', 'bigint', (c) => c.notNull())
      .addColumn('cleared_at', 'bigint')
      .addPrimaryKeyConstraint('calibration_alarms_pk', ['sensor_id', 'due_at'])
      .execute();
  },
};
