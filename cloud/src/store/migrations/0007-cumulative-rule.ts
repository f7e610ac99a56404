import type { Kysely, Migration } from 'kysely';

/** Migration 0007-cumulative-rule. Shipped migrations are never edited; add a new one instead. */
export const migration0007: Migration = {
  // WHO PQS-style cumulative rules (docs/domain.md "Cumulative rules"): a product carries its rules as
  // validated JSON (`[{kind, thresholdC, limitMs}]`, '[]' = none); a lock records its cause, 'excursion'
  // (one row per EPC and excursion, as before) or 'cumulative' (one row per EPC and lot rule, keyed
  // `cumulative:<lot>:<rule>` in `excursion_id`, so dispositions and lock events work unchanged).
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('products')
      .addColumn('cumulative_rules', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    await db.schema
      .alterTable('locks')
      .addColumn('cause', 'text', (c) => c.notNull().defaultTo('excursion'))
      .execute();
    await db.schema.createIndex('locks_cause').on('locks').columns(['cause', 'epc']).execute();
  },
};
