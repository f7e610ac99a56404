import { type Kysely, sql } from 'kysely';
import type { Database, Row } from '../schema.js';
import { type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface LotQuery {
  /** The product's GTIN. */
  gtin?: string | undefined;
  /** true: lots with an active lock on a unit; false: lots without one. */
  hasLocks?: boolean | undefined;
  after?: KeyValues | undefined;
  limit: number;
}

/** One page of lots by id, filtered by product and by whether a unit is locked. */
export async function pageLots(
  db: Kysely<Database>,
  q: LotQuery,
): Promise<{ items: Array<Row<'lots'>>; next: KeyValues | null }> {
  let s = db.selectFrom('lots').selectAll();
  if (q.gtin) s = s.where('gtin', '=', q.gtin);
  if (q.hasLocks !== undefined) {
    const want = q.hasLocks;
    s = s.where((eb) => {
      const locked = eb.exists(
        eb
          .selectFrom('locks')
          .innerJoin('epcs', 'epcs.epc', 'locks.epc')
          .select(sql`1`.as('one'))
          .where('locks.state', '=', 'active')
          .whereRef('epcs.lot_id', '=', 'lots.id'),
      );
      return want ? locked : eb.not(locked);
    });
  }
  if (q.after) s = s.where(keysetAfter([{ column: 'lots.id' }], q.after));
  const rows = await s
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, (r) => [r.id]);
}
