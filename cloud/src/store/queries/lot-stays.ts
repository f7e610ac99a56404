import type { Kysely } from 'kysely';
import { type LotStay, mergeLotStays } from '../../domain/lot-stays.js';
import type { Database } from '../schema.js';

/** The lot's custody timeline: its units' custody intervals merged per location (domain/lot-stays.ts). */
export async function lotStays(db: Kysely<Database>, lotId: string): Promise<LotStay[]> {
  const rows = await db
    .selectFrom('custody')
    .innerJoin('epcs', 'epcs.epc', 'custody.epc')
    .select(['custody.epc', 'custody.location_id', 'custody.entered_at', 'custody.left_at'])
    .where('epcs.lot_id', '=', lotId)
    .orderBy('custody.location_id')
    .orderBy('custody.entered_at')
    .execute();
  return mergeLotStays(rows);
}
