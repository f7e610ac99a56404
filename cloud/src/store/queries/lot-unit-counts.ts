import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/** A lot's commissioned units, and how many of them have a lock in each state (a unit counts once each). */
export interface LotUnitCounts {
  total: number;
  locked: number;
  released: number;
  rejected: number;
}

/**
 * Unit counts of the given lots in two grouped queries, as `assessLot` counts them (`units`): locks in
 * state active / released / rejected (lifted ones do not count), per distinct unit. For lists, which show
 * the counts and not the stability assessment (docs/architecture.md "Lists and paging").
 */
export async function lotUnitCounts(
  db: Kysely<Database>,
  lotIds: readonly string[],
): Promise<Map<string, LotUnitCounts>> {
  const out = new Map<string, LotUnitCounts>(
    lotIds.map((id) => [id, { total: 0, locked: 0, released: 0, rejected: 0 }]),
  );
  for (let i = 0; i < lotIds.length; i += 500) {
    const chunk = lotIds.slice(i, i + 500);
    const totals = await db
      .selectFrom('epcs')
      .select(['lot_id', sql<number>`count(*)`.as('n')])
      .where('lot_id', 'in', chunk)
      .groupBy('lot_id')
      .execute();
    for (const t of totals) out.get(t.lot_id)!.total = Number(t.n);
    const byState = await db
      .selectFrom('locks')
      .innerJoin('epcs', 'epcs.epc', 'locks.epc')
      .select([
        'epcs.lot_id as lot_id',
        'locks.state as state',
        sql<number>`count(distinct locks.epc)`.as('n'),
      ])
      .where('epcs.lot_id', 'in', chunk)
      .where('locks.state', 'in', ['active', 'released', 'rejected'])
      .groupBy(['epcs.lot_id', 'locks.state'])
      .execute();
    for (const r of byState) {
      const c = out.get(r.lot_id)!;
      if (r.state === 'active') c.locked = Number(r.n);
      else if (r.state === 'released') c.released = Number(r.n);
      else c.rejected = Number(r.n);
    }
  }
  return out;
}
