import type { Kysely, Transaction } from 'kysely';
import type { StockClosureRepo, StockClosureRow } from '../domain/stock-closures.js';
import type { DomainDatabase } from './schema.js';

const CHUNK = 500;

/** Rejected units not closed yet: rejected by a signed disposition, with no closing record. */
function openRejectedQuery(db: Kysely<DomainDatabase>) {
  return db
    .selectFrom('locks')
    .innerJoin('dispositions', 'dispositions.id', 'locks.disposition_id')
    .leftJoin('epcs', 'epcs.epc', 'locks.epc')
    .leftJoin('stock_closure_units', 'stock_closure_units.epc', 'locks.epc')
    .where('locks.state', '=', 'rejected')
    .where('stock_closure_units.epc', 'is', null);
}

/** `StockClosureRepo` inside the closing's derive transaction. */
export function stockClosureRepo(trx: Transaction<DomainDatabase>): StockClosureRepo {
  return {
    async openRejected(q) {
      let s = openRejectedQuery(trx).select(['locks.epc as epc', 'epcs.lot_id as lot_id']).distinct();
      if (q.lotId !== undefined) s = s.where('epcs.lot_id', '=', q.lotId);
      if (q.epc !== undefined) s = s.where('locks.epc', '=', q.epc);
      return (await s.execute()).map((r) => ({ epc: r.epc, lotId: r.lot_id ?? null }));
    },
    async insert(c, units) {
      await trx.insertInto('stock_closures').values(c).execute();
      for (let i = 0; i < units.length; i += CHUNK)
        await trx
          .insertInto('stock_closure_units')
          .values(units.slice(i, i + CHUNK).map((u) => ({ epc: u.epc, closure_id: c.id, lot_id: u.lotId })))
          .execute();
    },
  };
}

/** Rejected stock awaiting destruction or return, per lot: units, when last rejected, where they are now. */
export async function rejectedAwaitingClosure(
  db: Kysely<DomainDatabase>,
): Promise<
  Array<{ lotId: string | null; units: number; rejectedAt: number; whereNow: Record<string, number> }>
> {
  const rows = await openRejectedQuery(db)
    .leftJoin('custody', (j) => j.onRef('custody.epc', '=', 'locks.epc').on('custody.left_at', 'is', null))
    .select([
      'locks.epc as epc',
      'epcs.lot_id as lot_id',
      'custody.location_id as location_id',
      'dispositions.signed_at as signed_at',
    ])
    .execute();
  const byLot = new Map<
    string | null,
    { units: Set<string>; rejectedAt: number; whereNow: Record<string, number> }
  >();
  for (const r of rows) {
    const lot = byLot.get(r.lot_id ?? null) ?? { units: new Set<string>(), rejectedAt: 0, whereNow: {} };
    if (!lot.units.has(r.epc)) {
      lot.units.add(r.epc);
      const where = r.location_id ?? 'unknown';
      lot.whereNow[where] = (lot.whereNow[where] ?? 0) + 1;
    }
    lot.rejectedAt = Math.max(lot.rejectedAt, Number(r.signed_at));
    byLot.set(r.lot_id ?? null, lot);
  }
  return [...byLot.entries()]
    .map(([lotId, l]) => ({ lotId, units: l.units.size, rejectedAt: l.rejectedAt, whereNow: l.whereNow }))
    .sort((a, b) => b.rejectedAt - a.rejectedAt || String(a.lotId).localeCompare(String(b.lotId)));
}

/** Closing records, newest first (optionally of one lot). */
export async function listStockClosures(
  db: Kysely<DomainDatabase>,
  q: { lotId?: string | undefined } = {},
): Promise<StockClosureRow[]> {
  let s = db.selectFrom('stock_closures').selectAll();
  if (q.lotId) s = s.where('lot_id', '=', q.lotId);
  return (await s.orderBy('signed_at', 'desc').orderBy('id').limit(1000).execute()).map((r) => ({
    ...r,
    units: Number(r.units),
    signed_at: Number(r.signed_at),
  }));
}
