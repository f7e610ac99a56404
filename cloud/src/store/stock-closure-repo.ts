import { type Kysely, sql, type Transaction } from 'kysely';
import type {
  ClosedHeldQuantity,
  OpenHeldQuantity,
  StockClosure,
  StockClosureRepo,
} from '../domain/stock-closures.js';
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

/**
 * Rejected held quantities not closed yet (quantity_holds 0027, stock_closure_holds 0030): holds a signed
 * disposition rejected whose rejected units (`decided_units`) exceed the units closing records closed.
 * `open` is the difference.
 */
export function openRejectedHoldsQuery(db: Kysely<DomainDatabase>) {
  const closed = db
    .selectFrom('stock_closure_holds')
    .select(['lot_id', 'location_id', 'excursion_id', sql<number>`sum(units)`.as('closed')])
    .groupBy(['lot_id', 'location_id', 'excursion_id'])
    .as('c');
  const rejected = sql<number>`coalesce(h.decided_units, h.units)`;
  const open = sql<number>`${rejected} - coalesce(c.closed, 0)`;
  return db
    .selectFrom('quantity_holds as h')
    .innerJoin('dispositions', 'dispositions.id', 'h.disposition_id')
    .leftJoin(closed, (j) =>
      j
        .onRef('c.lot_id', '=', 'h.lot_id')
        .onRef('c.location_id', '=', 'h.location_id')
        .onRef('c.excursion_id', '=', 'h.excursion_id'),
    )
    .where('h.state', '=', 'rejected')
    .where(open, '>', 0)
    .select([
      'h.lot_id as lot_id',
      'h.location_id as location_id',
      'h.excursion_id as excursion_id',
      'h.disposition_id as disposition_id',
      'dispositions.signed_at as signed_at',
      open.as('open'),
    ]);
}

const toOpenHeld = (r: {
  lot_id: string;
  location_id: string;
  excursion_id: string;
  disposition_id: string | null;
  open: number;
}): OpenHeldQuantity => ({
  lotId: r.lot_id,
  locationId: r.location_id,
  excursionId: r.excursion_id,
  dispositionId: r.disposition_id,
  units: Number(r.open),
});

/** `StockClosureRepo` inside the closing's derive transaction. */
export function stockClosureRepo(trx: Transaction<DomainDatabase>): StockClosureRepo {
  return {
    async openRejected(q) {
      let s = openRejectedQuery(trx).select(['locks.epc as epc', 'epcs.lot_id as lot_id']).distinct();
      if (q.lotId !== undefined) s = s.where('epcs.lot_id', '=', q.lotId);
      if (q.epc !== undefined) s = s.where('locks.epc', '=', q.epc);
      return (await s.execute()).map((r) => ({ epc: r.epc, lotId: r.lot_id ?? null }));
    },
    async openRejectedHolds(lotId) {
      const rows = await openRejectedHoldsQuery(trx).where('h.lot_id', '=', lotId).execute();
      return rows.map(toOpenHeld);
    },
    async insert(c, units, held) {
      await trx.insertInto('stock_closures').values(c).execute();
      for (let i = 0; i < units.length; i += CHUNK)
        await trx
          .insertInto('stock_closure_units')
          .values(units.slice(i, i + CHUNK).map((u) => ({ epc: u.epc, closure_id: c.id, lot_id: u.lotId })))
          .execute();
      for (let i = 0; i < held.length; i += CHUNK)
        await trx
          .insertInto('stock_closure_holds')
          .values(
            held.slice(i, i + CHUNK).map((h) => ({
              closure_id: c.id,
              lot_id: h.lotId,
              location_id: h.locationId,
              excursion_id: h.excursionId,
              disposition_id: h.dispositionId,
              units: h.units,
            })),
          )
          .execute();
    },
  };
}

/** A lot's rejected stock awaiting destruction or return (`GET /rejected-stock`). */
export interface RejectedAwaiting {
  lotId: string | null;
  /** EPC units. */
  units: number;
  rejectedAt: number;
  /** Where the EPC units are now (custody), per location. */
  whereNow: Record<string, number>;
  /** Units without serial in rejected held quantities. */
  heldUnits: number;
  /** The rejected held quantities: where they were held, by which excursion, how many units are open. */
  held: Array<ClosedHeldQuantity & { rejectedAt: number }>;
}

/**
 * Rejected stock awaiting destruction or return, per lot: EPC units (how many, where they are now) and
 * held quantities of units without serial (per location and excursion), when last rejected.
 */
export async function rejectedAwaitingClosure(db: Kysely<DomainDatabase>): Promise<RejectedAwaiting[]> {
  const rows = await openRejectedQuery(db)
    .leftJoin('custody', (j) => j.onRef('custody.epc', '=', 'locks.epc').on('custody.left_at', 'is', null))
    .select([
      'locks.epc as epc',
      'epcs.lot_id as lot_id',
      'custody.location_id as location_id',
      'dispositions.signed_at as signed_at',
    ])
    .execute();
  const byLot = new Map<string | null, RejectedAwaiting & { epcs: Set<string> }>();
  const lotOf = (lotId: string | null) => {
    const lot = byLot.get(lotId) ?? {
      lotId,
      units: 0,
      rejectedAt: 0,
      whereNow: {},
      heldUnits: 0,
      held: [],
      epcs: new Set<string>(),
    };
    byLot.set(lotId, lot);
    return lot;
  };
  for (const r of rows) {
    const lot = lotOf(r.lot_id ?? null);
    if (!lot.epcs.has(r.epc)) {
      lot.epcs.add(r.epc);
      lot.units++;
      const where = r.location_id ?? 'unknown';
      lot.whereNow[where] = (lot.whereNow[where] ?? 0) + 1;
    }
    lot.rejectedAt = Math.max(lot.rejectedAt, Number(r.signed_at));
  }
  const held = await openRejectedHoldsQuery(db).orderBy('h.location_id').orderBy('h.excursion_id').execute();
  for (const r of held) {
    const lot = lotOf(r.lot_id);
    const q = toOpenHeld(r);
    lot.heldUnits += q.units;
    lot.held.push({
      locationId: q.locationId,
      excursionId: q.excursionId,
      units: q.units,
      rejectedAt: Number(r.signed_at),
    });
    lot.rejectedAt = Math.max(lot.rejectedAt, Number(r.signed_at));
  }
  return [...byLot.values()]
    .map(({ epcs: _e, ...l }) => l)
    .sort((a, b) => b.rejectedAt - a.rejectedAt || String(a.lotId).localeCompare(String(b.lotId)));
}

/** Closing records, newest first (optionally of one lot). */
export async function listStockClosures(
  db: Kysely<DomainDatabase>,
  q: { lotId?: string | undefined } = {},
): Promise<StockClosure[]> {
  let s = db.selectFrom('stock_closures').selectAll();
  if (q.lotId) s = s.where('lot_id', '=', q.lotId);
  const rows = await s.orderBy('signed_at', 'desc').orderBy('id').limit(1000).execute();
  const held = new Map<string, ClosedHeldQuantity[]>();
  const ids = rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += CHUNK)
    for (const h of await db
      .selectFrom('stock_closure_holds')
      .selectAll()
      .where('closure_id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('location_id')
      .orderBy('excursion_id')
      .execute())
      held.set(h.closure_id, [
        ...(held.get(h.closure_id) ?? []),
        { locationId: h.location_id, excursionId: h.excursion_id, units: Number(h.units) },
      ]);
  return rows.map((r) => ({
    ...r,
    units: Number(r.units),
    signed_at: Number(r.signed_at),
    held: held.get(r.id) ?? [],
  }));
}
