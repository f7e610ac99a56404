import type { Kysely } from 'kysely';
import type { AlarmsTable, Database, MovementsTable } from '../schema.js';
import type { KeyValues } from './keyset.js';
import { inRecordTimeOrder, recordPage } from './record-time-order.js';

export interface MovementListQuery {
  gatewayId?: string | undefined;
  /** Upper-case hex. */
  epc?: string | undefined;
  /** The last row of the previous page: (ts, gateway id, seq). */
  after?: KeyValues | undefined;
  limit: number;
}

/**
 * The query of one page of movements after `after` in time order (`inRecordTimeOrder`: with `epc`,
 * `movements_epc_ts` starts at the cursor).
 */
export function movementPageQuery(db: Kysely<Database>, q: MovementListQuery) {
  let s = db.selectFrom('movements').selectAll();
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  if (q.epc) s = s.where('epc', '=', q.epc);
  return inRecordTimeOrder(s, q.after, q.limit);
}

/** One page of movements in time order; the numbers as numbers (PostgreSQL's bigint arrives as a string). */
export async function pageMovements(
  db: Kysely<Database>,
  q: MovementListQuery,
): Promise<{ items: MovementsTable[]; next: KeyValues | null }> {
  return recordPage(await movementPageQuery(db, q).execute(), q.limit, ['first_seen', 'last_seen']);
}

export interface AlarmListQuery {
  gatewayId?: string | undefined;
  after?: KeyValues | undefined;
  limit: number;
}

/** One page of gateway alarms in time order; the numbers as numbers. */
export async function pageAlarms(
  db: Kysely<Database>,
  q: AlarmListQuery,
): Promise<{ items: AlarmsTable[]; next: KeyValues | null }> {
  let s = db.selectFrom('alarms').selectAll();
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  return recordPage(await inRecordTimeOrder(s, q.after, q.limit).execute(), q.limit);
}
