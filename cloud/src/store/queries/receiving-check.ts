import type { Kysely } from 'kysely';
import type { ReceivingCheckInput } from '../../domain/receiving-check.js';
import type { Database } from '../schema.js';

export interface ReceivingWindow {
  /** The receiving location. */
  locationId: string;
  /** The location the goods were shipped from. */
  fromLocationId: string;
  since: number;
  until: number;
}

const SCAN_IN = ['receiving', 'putaway'];
const SCAN_OUT = ['dispatch', 'picking'];

async function countsByLot(
  db: Kysely<Database>,
  locationId: string,
  directions: string[],
  w: ReceivingWindow,
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('scans')
    .select(['lot_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('location_id', '=', locationId)
    .where('ts', '>=', w.since)
    .where('ts', '<=', w.until)
    .where('epc', 'is', null)
    .where('lot_id', 'is not', null)
    .where('direction', 'in', directions)
    .groupBy('lot_id')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.lot_id!, Number(r.n)]));
}

/**
 * The custody the receiving check compares (domain/receiving-check.ts): stays at the shipping location
 * that ended in the window (index `custody_location_left`), stays at the receiving location that began in
 * it (`custody_location`), each unit's lot, where it is now, how it arrived and where it came from; and
 * the scans without a serial on both sides (`scans_location_ts`).
 */
export async function receivingCheckInput(
  db: Kysely<Database>,
  w: ReceivingWindow,
): Promise<ReceivingCheckInput> {
  const left = await db
    .selectFrom('custody as c')
    .leftJoin('epcs', 'epcs.epc', 'c.epc')
    .leftJoin('custody as now', (j) => j.onRef('now.epc', '=', 'c.epc').on('now.left_at', 'is', null))
    .select(['c.epc', 'c.left_at', 'epcs.lot_id', 'now.location_id as now_at'])
    .where('c.location_id', '=', w.fromLocationId)
    .where('c.left_at', '>=', w.since)
    .where('c.left_at', '<=', w.until)
    .execute();
  const arrived = await db
    .selectFrom('custody as c')
    .leftJoin('epcs', 'epcs.epc', 'c.epc')
    .leftJoin('movements as m', (j) =>
      j.onRef('m.gateway_id', '=', 'c.gateway_id').onRef('m.seq', '=', 'c.seq'),
    )
    .select(['c.epc', 'c.entered_at', 'epcs.lot_id', 'm.kind', 'm.portal_id'])
    .select((eb) =>
      eb
        .selectFrom('custody as p')
        .select('p.location_id')
        .whereRef('p.epc', '=', 'c.epc')
        .whereRef('p.entered_at', '<', 'c.entered_at')
        .orderBy('p.entered_at', 'desc')
        .limit(1)
        .as('came_from'),
    )
    .where('c.location_id', '=', w.locationId)
    .where('c.entered_at', '>=', w.since)
    .where('c.entered_at', '<=', w.until)
    .execute();
  return {
    shipped: left.map((r) => ({
      epc: r.epc,
      lotId: r.lot_id ?? null,
      leftAt: Number(r.left_at),
      nowAt: r.now_at ?? null,
    })),
    received: arrived.map((r) => ({
      epc: r.epc,
      lotId: r.lot_id ?? null,
      receivedAt: Number(r.entered_at),
      via: r.kind && r.portal_id ? { kind: r.kind, id: r.portal_id } : null,
      cameFrom: r.came_from ?? null,
    })),
    quantities: {
      shipped: await countsByLot(db, w.fromLocationId, SCAN_OUT, w),
      received: await countsByLot(db, w.locationId, SCAN_IN, w),
    },
  };
}
