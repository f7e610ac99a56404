import type { Kysely, Transaction } from 'kysely';
import type { HoldKey, QuantityHoldRepo } from '../domain/locks/quantity-holds.js';
import { quantityScansAt } from './queries/lot-quantities.js';
import type { Database } from './schema.js';

/** `QuantityHoldRepo` over a Kysely transaction (or database): `quantity_holds` (0027) and `scans` (0023). */
export function quantityHoldRepo(db: Transaction<Database> | Kysely<Database>): QuantityHoldRepo {
  return {
    quantityScansAt: (locationId) => quantityScansAt(db, locationId),
    // bigint columns come back as numbers from both dialects (db.ts).
    holdsAt: (locationId) =>
      db.selectFrom('quantity_holds').selectAll().where('location_id', '=', locationId).execute(),
    holdsOf: (excursionId) =>
      db.selectFrom('quantity_holds').selectAll().where('excursion_id', '=', excursionId).execute(),
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
        else if (w.kind === 'delete') {
          await db
            .deleteFrom('quantity_holds')
            .where('lot_id', '=', w.key.lotId)
            .where('location_id', '=', w.key.locationId)
            .where('excursion_id', '=', w.key.excursionId)
            .execute();
          if (w.into !== undefined) await moveClosedHold(db, w.key, w.into);
        } else {
          await db
            .updateTable('quantity_holds')
            .set(w.set)
            .where('lot_id', '=', w.key.lotId)
            .where('location_id', '=', w.key.locationId)
            .where('excursion_id', '=', w.key.excursionId)
            .execute();
          if (w.set.excursion_id !== undefined && w.set.excursion_id !== w.key.excursionId)
            await moveClosedHold(db, w.key, w.set.excursion_id);
        }
      }
    },
  };
}

/**
 * A hold that moved or merged into another excursion (mergeHolds) takes the units closing records closed
 * of it along (stock_closure_holds, 0030): destroyed or returned stock does not come back as awaiting its
 * end. A record that closed holds under both excursions keeps one row, with the units of both.
 */
async function moveClosedHold(db: Transaction<Database> | Kysely<Database>, key: HoldKey, into: string) {
  const rows = await db
    .selectFrom('stock_closure_holds')
    .selectAll()
    .where('lot_id', '=', key.lotId)
    .where('location_id', '=', key.locationId)
    .where('excursion_id', '=', key.excursionId)
    .execute();
  for (const r of rows) {
    const there = await db
      .selectFrom('stock_closure_holds')
      .select('units')
      .where('closure_id', '=', r.closure_id)
      .where('lot_id', '=', key.lotId)
      .where('location_id', '=', key.locationId)
      .where('excursion_id', '=', into)
      .executeTakeFirst();
    const at = (excursionId: string) => ({ closure_id: r.closure_id, excursion_id: excursionId });
    if (there) {
      await db
        .updateTable('stock_closure_holds')
        .set({ units: Number(there.units) + Number(r.units) })
        .where((eb) => eb.and({ ...at(into), lot_id: key.lotId, location_id: key.locationId }))
        .execute();
      await db
        .deleteFrom('stock_closure_holds')
        .where((eb) => eb.and({ ...at(key.excursionId), lot_id: key.lotId, location_id: key.locationId }))
        .execute();
    } else
      await db
        .updateTable('stock_closure_holds')
        .set({ excursion_id: into })
        .where((eb) => eb.and({ ...at(key.excursionId), lot_id: key.lotId, location_id: key.locationId }))
        .execute();
  }
}
