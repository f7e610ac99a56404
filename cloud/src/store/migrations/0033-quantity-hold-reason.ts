import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The end of the reason of a quantity hold a specification change held, as domain/locks/quantity-holds.ts
 * wrote it before this migration (the only mark of such a hold then). A copy: the domain's wording may
 * change, what this migration recognises must not.
 */
const HELD_SUFFIX =
  '; it stays held pending QA review, and only a signed disposition releases it (no specification change releases stock)';

/** Migration 0033-quantity-hold-reason. Shipped migrations are never edited; add a new one instead. */
export const migration0033: Migration = {
  // docs/barcode.md "Quantity holds": a hold a specification change would have lifted is held instead,
  // until a signed decision, as a held lock (0012). `hold_reason` says it (the change's reason, null when
  // not held) rather than the end of the reason text; backfilled from that end, the reason being the held
  // reason then. substr/length count characters on both SQLite and PostgreSQL.
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('quantity_holds').addColumn('hold_reason', 'text').execute();
    await sql`UPDATE quantity_holds SET hold_reason = reason
      WHERE length(reason) >= ${sql.lit(HELD_SUFFIX.length)}
        AND substr(reason, length(reason) - ${sql.lit(HELD_SUFFIX.length - 1)}) = ${HELD_SUFFIX}`.execute(db);
  },
};
