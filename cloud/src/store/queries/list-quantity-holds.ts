import type { Kysely } from 'kysely';
import type { Database, Row } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface QuantityHoldQuery {
  state?: string | undefined;
  lotId?: string | undefined;
  excursionId?: string | undefined;
  locationId?: string | undefined;
  after?: KeyValues | undefined;
  limit: number;
}

/** Creation order; (lot, location, excursion) is the hold's primary key, so the order is total. */
const KEYS: KeyColumn[] = [
  { column: 'created_at' },
  { column: 'lot_id' },
  { column: 'location_id' },
  { column: 'excursion_id' },
];

/** One page of quantity holds (0027) after `after`, in creation order, filtered. */
export async function pageQuantityHolds(
  db: Kysely<Database>,
  q: QuantityHoldQuery,
): Promise<{ items: Array<Row<'quantity_holds'>>; next: KeyValues | null }> {
  let s = db.selectFrom('quantity_holds').selectAll();
  if (q.state) s = s.where('state', '=', q.state);
  if (q.lotId) s = s.where('lot_id', '=', q.lotId);
  if (q.excursionId) s = s.where('excursion_id', '=', q.excursionId);
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.after) s = s.where(keysetAfter(KEYS, q.after));
  const rows = await s
    .orderBy('created_at')
    .orderBy('lot_id')
    .orderBy('location_id')
    .orderBy('excursion_id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, (r) => [r.created_at, r.lot_id, r.location_id, r.excursion_id]);
}

/** Holds of a lot, or of an excursion, all states (the lot and excursion views). */
export function quantityHoldsOf(
  db: Kysely<Database>,
  by: { lotId: string } | { excursionId: string },
): Promise<Array<Row<'quantity_holds'>>> {
  let s = db.selectFrom('quantity_holds').selectAll();
  s = 'lotId' in by ? s.where('lot_id', '=', by.lotId) : s.where('excursion_id', '=', by.excursionId);
  return s.orderBy('exposed_from').orderBy('lot_id').orderBy('location_id').execute();
}
