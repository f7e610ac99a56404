import type { Kysely } from 'kysely';
import type { AlarmsTable, Database, MovementsTable } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

/**
 * Time order; (gateway_id, seq) is a movement's and an alarm's primary key, so the order is total. The
 * same order and cursor as GET /readings (list-readings.ts).
 */
const KEYS: KeyColumn[] = [{ column: 'ts' }, { column: 'gateway_id' }, { column: 'seq' }];

export interface MovementListQuery {
  gatewayId?: string | undefined;
  /** Upper-case hex. */
  epc?: string | undefined;
  /** The last row of the previous page: (ts, gateway id, seq). */
  after?: KeyValues | undefined;
  limit: number;
}

/**
 * The query of one page of movements after `after` (`limit + 1` rows). With `epc`, the `ts >= after.ts`
 * range lets `movements_epc_ts` start at the cursor.
 */
export function movementPageQuery(db: Kysely<Database>, q: MovementListQuery) {
  let s = db.selectFrom('movements').selectAll();
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  if (q.epc) s = s.where('epc', '=', q.epc);
  if (q.after) s = s.where('ts', '>=', Number(q.after[0])).where(keysetAfter(KEYS, q.after));
  return s
    .orderBy('ts')
    .orderBy('gateway_id')
    .orderBy('seq')
    .limit(q.limit + 1);
}

/** One page of movements in time order; the numbers as numbers (PostgreSQL's bigint arrives as a string). */
export async function pageMovements(
  db: Kysely<Database>,
  q: MovementListQuery,
): Promise<{ items: MovementsTable[]; next: KeyValues | null }> {
  const rows = (await movementPageQuery(db, q).execute()).map((r) => ({
    ...r,
    seq: Number(r.seq),
    ts: Number(r.ts),
    first_seen: Number(r.first_seen),
    last_seen: Number(r.last_seen),
    received_at: Number(r.received_at),
  }));
  return pageOf(rows, q.limit, (r) => [r.ts, r.gateway_id, r.seq]);
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
  if (q.after) s = s.where('ts', '>=', Number(q.after[0])).where(keysetAfter(KEYS, q.after));
  const rows = (
    await s
      .orderBy('ts')
      .orderBy('gateway_id')
      .orderBy('seq')
      .limit(q.limit + 1)
      .execute()
  ).map((r) => ({ ...r, seq: Number(r.seq), ts: Number(r.ts), received_at: Number(r.received_at) }));
  return pageOf(rows, q.limit, (r) => [r.ts, r.gateway_id, r.seq]);
}
