import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { isHeldHold } from '../../../src/domain/locks/quantity-holds.js';
import { type Dialect, migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import type { DomainDatabase } from '../../../src/store/schema.js';

const HELD_END =
  '; it stays held pending QA review, and only a signed disposition releases it (no specification change releases stock)';
/** A held hold's reason as quantity-holds.ts wrote it (non-ASCII included: characters, not bytes, count). */
const HELD = `limits of location fridge changed by alice (max_c 8 → 15 °C): this change would have lifted the hold of 2 unit(s) of lot LOT-A${HELD_END}`;

/**
 * Migration 0033-quantity-hold-reason on one dialect: a quantity hold a specification change held, told
 * until then by the end of its reason, gets that reason as `hold_reason`; every other hold gets null.
 */
export function quantityHoldReasonMigrationSuite(
  open: () => Promise<{ db: Kysely<unknown>; dialect: Dialect }>,
) {
  it('backfills hold_reason from the held suffix of the reason, and only from it', async () => {
    const { db, dialect } = await open();
    await migrateTo(db, dialect, '0030-stock-closure-holds');
    const hold = (lot: string, state: string, reason: string) =>
      sql`
      INSERT INTO quantity_holds (lot_id, location_id, excursion_id, units, exposed_from, exposed_to, state,
        disposition_id, reason, decided_version, decided_units, created_at, updated_at)
      VALUES (${lot}, 'fridge', 'fridge@x', 2, 10, 20, ${state}, NULL, ${reason}, NULL, NULL, 5, 6)`.execute(
        db,
      );
    await hold('LOT-A', 'active', HELD);
    await hold(
      'LOT-B',
      'active',
      '2 unit(s) of lot LOT-B without serial on hand at fridge during excursion x',
    );
    // The words of the suffix, not at the end: not held.
    await hold('LOT-C', 'rejected', `rejected by Quinn Assurance: quoted "${HELD_END}" in the review`);
    await hold('LOT-D', 'lifted', 'r');
    // Precondition: no such column before the migration.
    await expect(sql`SELECT hold_reason FROM quantity_holds`.execute(db)).rejects.toThrow();
    await migrateToLatest(db, dialect);

    const rows = await (db as unknown as Kysely<DomainDatabase>)
      .selectFrom('quantity_holds')
      .select(['lot_id', 'reason', 'hold_reason'])
      .orderBy('lot_id')
      .execute();
    expect(rows.map((r) => [r.lot_id, r.hold_reason])).toEqual([
      ['LOT-A', HELD],
      ['LOT-B', null],
      ['LOT-C', null],
      ['LOT-D', null],
    ]);
    expect(rows.map((r) => isHeldHold(r))).toEqual([true, false, false, false]);
    // The reason text is left as it was.
    expect(rows[0]!.reason).toBe(HELD);
    await db.destroy();
  });
}
