import type { Kysely } from 'kysely';
import type { QuantityExcursion, QuantityScan } from '../../domain/lot-quantities.js';
import type { Database } from '../schema.js';

/**
 * A lot's scans of units without serial (`scans` with no EPC, 0023) and the excursions (not withdrawn) at
 * the locations they were scanned at: the input of `lotQuantities` (docs/barcode.md "Quantity custody").
 */
export async function lotQuantityInput(
  db: Kysely<Database>,
  lotId: string,
): Promise<{ scans: QuantityScan[]; excursions: QuantityExcursion[] }> {
  const rows = await db
    .selectFrom('scans')
    .select(['location_id', 'ts', 'direction'])
    .where('lot_id', '=', lotId)
    .where('epc', 'is', null)
    .execute();
  const scans = rows.map((r) => ({ location_id: r.location_id, ts: Number(r.ts), direction: r.direction }));
  const locations = [...new Set(scans.map((s) => s.location_id))];
  if (locations.length === 0) return { scans, excursions: [] };
  const ex = await db
    .selectFrom('excursions')
    .select(['id', 'location_id', 'start_ts', 'end_ts'])
    .where('location_id', 'in', locations)
    .where('state', '!=', 'withdrawn')
    .execute();
  return {
    scans,
    excursions: ex.map((e) => ({
      id: e.id,
      location_id: e.location_id,
      start_ts: Number(e.start_ts),
      end_ts: e.end_ts === null ? null : Number(e.end_ts),
    })),
  };
}

/**
 * The scans of units without serial at a location, per lot (`scans` with no EPC): the input of
 * `lotQuantities` for the lots an excursion there may have exposed.
 */
export async function quantityScansAt(
  db: Kysely<Database>,
  locationId: string,
): Promise<Map<string, QuantityScan[]>> {
  const rows = await db
    .selectFrom('scans')
    .select(['lot_id', 'location_id', 'ts', 'direction'])
    .where('location_id', '=', locationId)
    .where('epc', 'is', null)
    .where('lot_id', 'is not', null)
    .execute();
  const out = new Map<string, QuantityScan[]>();
  for (const r of rows) {
    const list = out.get(r.lot_id!) ?? [];
    list.push({ location_id: r.location_id, ts: Number(r.ts), direction: r.direction });
    out.set(r.lot_id!, list);
  }
  return out;
}
