import type { Kysely, Migration } from 'kysely';

/** Migration 0012-lock-hold. Shipped migrations are never edited; add a new one instead. */
export const migration0012: Migration = {
  // docs/architecture.md "Affected stock and locks": a lock that a master-data change (limits, product
  // rules) would have removed is held instead, pending QA: `hold_reason` says which change. A held lock
  // is never lifted by a recomputation (late data included); only a signed disposition decides it.
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('locks').addColumn('hold_reason', 'text').execute();
  },
};
