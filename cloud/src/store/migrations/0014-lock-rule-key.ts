import { type Kysely, type Migration, sql } from 'kysely';

/** Migration 0014-lock-rule-key. Shipped migrations are never edited; add a new one instead. */
export const migration0014: Migration = {
  // A lock names what locked it in its own columns (docs/architecture.md "Lock rules"): `cause` (the rule)
  // and `rule_key` (what within that rule: an excursion id, `<lot>:<rule>` of a cumulative rule, a rate
  // alarm's id), the key of the row with the unit; `excursion_id` holds an excursion's id only for
  // excursion locks (null otherwise) instead of a rule's key with a prefix. The table is rebuilt (its
  // primary key changes); existing rows move over, a prefixed key losing its prefix.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('locks_v2')
      .addColumn('epc', 'text', (c) => c.notNull())
      .addColumn('cause', 'text', (c) => c.notNull())
      .addColumn('rule_key', 'text', (c) => c.notNull())
      .addColumn('excursion_id', 'text')
      .addColumn('location_id', 'text', (c) => c.notNull())
      .addColumn('exposed_from', 'bigint', (c) => c.notNull())
      .addColumn('exposed_to', 'bigint')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('disposition_id', 'text')
      .addColumn('hold_reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('locks_v2_pk', ['epc', 'cause', 'rule_key'])
      .execute();
    await sql`INSERT INTO locks_v2 (epc, cause, rule_key, excursion_id, location_id, exposed_from, exposed_to,
        state, reason, disposition_id, hold_reason, created_at, updated_at)
      SELECT epc, cause,
        CASE
          WHEN cause = 'cumulative' AND excursion_id LIKE 'cumulative:%' THEN substr(excursion_id, 12)
          WHEN cause = 'rate_of_change' AND excursion_id LIKE 'rate:%' THEN substr(excursion_id, 6)
          ELSE excursion_id
        END,
        CASE WHEN cause = 'excursion' THEN excursion_id ELSE NULL END,
        location_id, exposed_from, exposed_to, state, reason, disposition_id, hold_reason, created_at, updated_at
      FROM locks`.execute(db);
    await db.schema.dropTable('locks').execute();
    await db.schema.alterTable('locks_v2').renameTo('locks').execute();
    await db.schema.createIndex('locks_rule').on('locks').columns(['cause', 'rule_key']).execute();
    await db.schema.createIndex('locks_excursion_v2').on('locks').column('excursion_id').execute();
    await db.schema.createIndex('locks_state_v2').on('locks').columns(['state', 'epc']).execute();
    await db.schema.createIndex('locks_location').on('locks').columns(['cause', 'location_id']).execute();
  },
};
