import type { Kysely, Transaction } from 'kysely';
import type { QuantityHoldRepo } from '../domain/locks/quantity-holds.js';
import { quantityScansAt } from './queries/lot-quantities.js';
import type { Database } from './schema.js';

/** `QuantityHoldRepo` over a Kysely transaction (or database): `quantity_holds` (0027) and `scans` (0023). */
export function quantityHoldRepo(db: Transaction<Database> | Kysely<Database>): QuantityHoldRepo {
  return {
    quantityScansAt: (locationId) => quantityScansAt(db, locationId),
    // bigint columns come back as numbers from both dialects (db.ts).
    holdsAt: (locationId) =>
      db.selectFrom('quantity_holds').selectAll().where('location_id', '=', locationId).execute(),
    heldBy: (excursionId) =>
      db
        .selectFrom('quantity_holds')
        .selectAll()
        .where('excursion_id', '=', excursionId)
        .where('state', '!=', 'lifted')
        .execute(),
    async withdrawnAt(locationId) {
      const rows = await db
        .selectFrom('excursions')
        .select('id')
        .where('location_id', '=', locationId)
        .where('state', '=', 'withdrawn')
        .execute();
      return rows.map((r) => r.id);
    },
    async applyHoldPlan(plan) {
      for (const w of plan.writes) {
        if (w.kind === 'insert') await db.insertInto('quantity_holds').values(w.row).execute();
        else if (w.kind === 'delete')
          await db
            .deleteFrom('quantity_holds')
            .where('lot_id', '=', w.key.lotId)
            .where('location_id', '=', w.key.locationId)
            .where('excursion_id', '=', w.key.excursionId)
            .execute();
        else
          await db
            .updateTable('quantity_holds')
            .set(w.set)
            .where('lot_id', '=', w.key.lotId)
            .where('location_id', '=', w.key.locationId)
            .where('excursion_id', '=', w.key.excursionId)
            .execute();
      }
    },
  };
}
