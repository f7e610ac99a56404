import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { companyPrefixLengths } from './epcis-scans.js';

/** A lot's class as an LGTIN needs it (docs/epcis.md "Quantity holds"). */
export interface LotClass {
  gtin: string;
  lotNumber: string;
  /** Digits of the GTIN's company prefix when a commissioned tag gives them (an LGTIN URN needs it). */
  companyPrefixLength: number | null;
}

/**
 * Maps rows that carry their lot's GTIN and number (`lots` joined), adding each GTIN's company prefix
 * length (read once for all rows).
 */
async function withLotClass<R extends { gtin: string; lot_number: string }, T>(
  db: Kysely<Database>,
  rows: readonly R[],
  map: (r: R) => T,
): Promise<Array<T & LotClass>> {
  const prefix = await companyPrefixLengths(
    db,
    rows.map((r) => r.gtin),
  );
  return rows.map((r) => ({
    ...map(r),
    gtin: r.gtin,
    lotNumber: r.lot_number,
    companyPrefixLength: prefix.get(r.gtin) ?? null,
  }));
}

/**
 * A stored quantity hold (0027, domain/locks/quantity-holds.ts) with what its EPCIS events need: its lot's
 * GTIN and number (the LGTIN class), and the signed disposition that decided it, if any.
 */
export interface StoredEpcisHold extends LotClass {
  lotId: string;
  locationId: string;
  excursionId: string;
  units: number;
  /** active | lifted | released | rejected */
  state: string;
  /** Units the signed decision covered (null: all, or not decided). */
  decidedUnits: number | null;
  reason: string;
  createdAt: number;
  updatedAt: number;
  /** The disposition that decided the hold: its signature time and signed reason. */
  decision: { signedAt: number; reason: string } | null;
}

/**
 * The quantity holds an EPCIS export holds (docs/epcis.md "Quantity holds"): of one lot, or all, every
 * state, in creation order then key. A hold whose lot master data lacks has no class to export and is left
 * out (lots are never deleted, so this does not happen in practice).
 */
export async function epcisHolds(
  db: Kysely<Database>,
  q: { lotId?: string | undefined },
): Promise<StoredEpcisHold[]> {
  let s = db
    .selectFrom('quantity_holds as h')
    .innerJoin('lots as l', 'l.id', 'h.lot_id')
    .leftJoin('dispositions as d', 'd.id', 'h.disposition_id')
    .select([
      'h.lot_id',
      'h.location_id',
      'h.excursion_id',
      'h.units',
      'h.state',
      'h.decided_units',
      'h.reason',
      'h.created_at',
      'h.updated_at',
      'l.gtin',
      'l.lot_number',
      'd.signed_at',
      'd.reason as decision_reason',
    ]);
  if (q.lotId !== undefined) s = s.where('h.lot_id', '=', q.lotId);
  const rows = await s
    .orderBy('h.created_at')
    .orderBy('h.lot_id')
    .orderBy('h.location_id')
    .orderBy('h.excursion_id')
    .execute();
  // bigint columns come back as numbers from both dialects (db.ts); Number() keeps that explicit.
  return withLotClass(db, rows, (r) => ({
    lotId: r.lot_id,
    locationId: r.location_id,
    excursionId: r.excursion_id,
    units: Number(r.units),
    state: r.state,
    decidedUnits: r.decided_units === null ? null : Number(r.decided_units),
    reason: r.reason,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    decision:
      r.signed_at === null || r.signed_at === undefined
        ? null
        : { signedAt: Number(r.signed_at), reason: r.decision_reason ?? '' },
  }));
}

/** Units a closing record closed of one rejected hold (`stock_closure_holds`, 0030), with its lot's class. */
export interface StoredClosedHold extends LotClass {
  closureId: string;
  at: number;
  outcome: string;
  reference: string;
  lotId: string;
  locationId: string;
  units: number;
}

/**
 * Rejected held quantities closing records closed (docs/domain.md "Rejected stock to its end"), signed in
 * `[fromTs, toTs)`, of one lot or all.
 */
export async function epcisClosedHolds(
  db: Kysely<Database>,
  q: { lotId?: string | undefined; fromTs: number; toTs: number },
): Promise<StoredClosedHold[]> {
  let s = db
    .selectFrom('stock_closure_holds as h')
    .innerJoin('stock_closures as c', 'c.id', 'h.closure_id')
    .innerJoin('lots as l', 'l.id', 'h.lot_id')
    .select([
      'c.id',
      'c.signed_at',
      'c.outcome',
      'c.reference',
      'h.lot_id',
      'h.location_id',
      'h.units',
      'l.gtin',
      'l.lot_number',
    ]);
  if (q.lotId !== undefined) s = s.where('h.lot_id', '=', q.lotId);
  // An open window bound is ±Infinity, which a PostgreSQL bigint parameter refuses: no condition then.
  if (Number.isFinite(q.fromTs)) s = s.where('c.signed_at', '>=', q.fromTs);
  if (Number.isFinite(q.toTs)) s = s.where('c.signed_at', '<', q.toTs);
  const rows = await s
    .orderBy('c.signed_at')
    .orderBy('c.id')
    .orderBy('h.location_id')
    .orderBy('h.excursion_id')
    .execute();
  return withLotClass(db, rows, (r) => ({
    closureId: r.id,
    at: Number(r.signed_at),
    outcome: r.outcome,
    reference: r.reference,
    lotId: r.lot_id,
    locationId: r.location_id,
    units: Number(r.units),
  }));
}
