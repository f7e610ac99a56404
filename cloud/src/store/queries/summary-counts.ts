import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { openRejectedHoldsQuery } from '../stock-closure-repo.js';

/** A lot with a locked unit: how many of its units are locked, of how many. */
export interface LockedLot {
  lotId: string;
  gtin: string;
  lotNumber: string;
  lockedUnits: number;
  totalUnits: number;
  /** When the oldest of its active locks was made (epoch ms): how long the lot has waited for QA. */
  lockedSince: number;
}

export interface SummaryCounts {
  /** Every stored excursion. */
  excursions: number;
  /** Excursions not yet decided by QA (review state 'pending'). */
  excursionsPendingReview: number;
  /** Excursions still going on. */
  ongoingExcursions: number;
  /** Units with an active lock (commissioned or not). */
  lockedUnits: number;
  /** Active locks: each awaits a QA disposition (release or reject). */
  decisionsOutstanding: number;
  /** Lots with a locked unit. */
  lotsWithLockedUnits: number;
  /** The first `lotLimit` of them by id. */
  lockedLots: LockedLot[];
  deadLetters: number;
  /** Dead letters not replayed. */
  deadLettersNotReplayed: number;
  /** Units rejected by QA and not yet recorded as destroyed or returned (docs/domain.md "Rejected stock to its end"). */
  rejectedAwaitingClosure: number;
  /** Releases awaiting their second QA signature (docs/domain.md "Two-person release"). */
  releasesAwaitingSecondSignature: number;
  /** Units without serial held by excursions and not covered by a QA decision (quantity holds, docs/barcode.md). */
  heldUnits: number;
  /** Quantity holds with such units: each awaits a QA disposition on its lot. */
  holdsOutstanding: number;
}

const n = (v: unknown) => Number(v ?? 0);

/** The dashboard's figures as COUNT queries (docs/architecture.md "Lists and paging"): no list is read whole. */
export async function summaryCounts(db: Kysely<Database>, lotLimit: number): Promise<SummaryCounts> {
  const ex = await db
    .selectFrom('excursions')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`sum(case when review_state = 'pending' then 1 else 0 end)`.as('pending'),
      sql<number>`sum(case when state = 'ongoing' then 1 else 0 end)`.as('ongoing'),
    ])
    .executeTakeFirst();
  // One pass over the active locks, grouped per unit and then per lot (docs/performance.md "Dashboard and
  // trace with QA's backlog"): the outstanding decisions, the locked units and each lot's locked units and
  // oldest lock. Counting distinct units over every lock (twice, as before) sorted the whole backlog, which
  // grows with the undecided locks (each unit collects one per excursion), not with the units.
  const perUnit = db
    .selectFrom('locks')
    .select(['epc', sql<number>`count(*)`.as('n'), sql<number>`min(created_at)`.as('since')])
    .where('state', '=', 'active')
    .groupBy('epc')
    .as('u');
  const byLot = await db
    .selectFrom(perUnit)
    .leftJoin('epcs', 'epcs.epc', 'u.epc')
    .select([
      'epcs.lot_id as lot_id',
      sql<number>`count(*)`.as('locked'),
      sql<number>`sum(u.n)`.as('active'),
      sql<number>`min(u.since)`.as('since'),
    ])
    .groupBy('epcs.lot_id')
    .orderBy('epcs.lot_id')
    .execute();
  // Units never commissioned have no lot (the group without one): counted, listed under no lot.
  const lockedByLot = byLot.filter((l): l is typeof l & { lot_id: string } => l.lot_id !== null);
  const locks = {
    active: byLot.reduce((s, l) => s + n(l.active), 0),
    units: byLot.reduce((s, l) => s + n(l.locked), 0),
  };
  // In the database's order of ids, as the lots list.
  const firstLocked = lockedByLot.slice(0, lotLimit).map((l) => l.lot_id);
  const lockedOf = new Map(lockedByLot.map((l) => [l.lot_id, l]));
  const lockedLotRows = firstLocked.length
    ? await db
        .selectFrom('lots')
        .select(['id', 'gtin', 'lot_number'])
        .where('id', 'in', firstLocked)
        .orderBy('id')
        .execute()
    : [];
  const totals = new Map<string, number>();
  for (let i = 0; i < firstLocked.length; i += 500) {
    const rows = await db
      .selectFrom('epcs')
      .select(['lot_id', sql<number>`count(*)`.as('n')])
      .where('lot_id', 'in', firstLocked.slice(i, i + 500))
      .groupBy('lot_id')
      .execute();
    for (const r of rows) totals.set(r.lot_id, Number(r.n));
  }
  const dl = await db
    .selectFrom('dead_letters')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`sum(case when replayed_at is null then 1 else 0 end)`.as('open'),
    ])
    .executeTakeFirst();
  const rejected = await db
    .selectFrom('locks')
    .leftJoin('stock_closure_units', 'stock_closure_units.epc', 'locks.epc')
    .select(sql<number>`count(distinct locks.epc)`.as('n'))
    .where('locks.state', '=', 'rejected')
    .where('locks.disposition_id', 'is not', null)
    .where('stock_closure_units.epc', 'is', null)
    .executeTakeFirst();
  // Rejected units without serial (held quantities) await their end too (docs/domain.md).
  const rejectedHeld = await db
    .selectFrom(openRejectedHoldsQuery(db).as('o'))
    .select(sql<number>`sum(o.open)`.as('n'))
    .executeTakeFirst();
  const proposals = await db
    .selectFrom('release_proposals')
    .select(sql<number>`count(*)`.as('n'))
    .where('state', '=', 'pending')
    .executeTakeFirst();
  // A hold's undecided units: all while active, those held beyond its decision once decided.
  const undecided = sql<number>`case when state = 'active' then units when state != 'lifted' and units > decided_units then units - decided_units else 0 end`;
  const held = await db
    .selectFrom('quantity_holds')
    .select([
      sql<number>`sum(${undecided})`.as('units'),
      sql<number>`sum(case when ${undecided} > 0 then 1 else 0 end)`.as('holds'),
    ])
    .executeTakeFirst();
  return {
    excursions: n(ex?.total),
    excursionsPendingReview: n(ex?.pending),
    ongoingExcursions: n(ex?.ongoing),
    lockedUnits: n(locks.units),
    decisionsOutstanding: n(locks.active),
    lotsWithLockedUnits: lockedByLot.length,
    lockedLots: lockedLotRows.map((l) => ({
      lotId: l.id,
      gtin: l.gtin,
      lotNumber: l.lot_number,
      lockedUnits: n(lockedOf.get(l.id)?.locked),
      totalUnits: totals.get(l.id) ?? 0,
      lockedSince: n(lockedOf.get(l.id)?.since),
    })),
    deadLetters: n(dl?.total),
    deadLettersNotReplayed: n(dl?.open),
    rejectedAwaitingClosure: n(rejected?.n) + n(rejectedHeld?.n),
    releasesAwaitingSecondSignature: n(proposals?.n),
    heldUnits: n(held?.units),
    holdsOutstanding: n(held?.holds),
  };
}
