import type { Kysely, Migration } from 'kysely';

/** Migration 0013-rule-alarms. Shipped migrations are never edited; add a new one instead. */
export const migration0013: Migration = {
  // Alarms a lock rule derives from the readings (docs/architecture.md "Lock rules"), e.g. a temperature
  // rising too fast: derived state like excursions, recomputed from the stored readings; `id` is the key the
  // rule's locks name (`locks.excursion_id`, with `locks.cause` the rule).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rule_alarms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('from_ts', 'bigint', (c) => c.notNull())
      .addColumn('to_ts', 'bigint', (c) => c.notNull())
      .addColumn('detail_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('rule_alarms_location')
      .on('rule_alarms')
      .columns(['location_id', 'from_ts'])
      .execute();
  },
};
