import type { Kysely } from 'kysely';
import type { Database, ReadingsTable } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface ReadingListQuery {
  gatewayId?: string | undefined;
  locationId?: string | undefined;
  sensorId?: string | undefined;
  /** Readings taken at or after (ms). */
  fromTs?: number | undefined;
  /** Readings taken before (ms). */
  toTs?: number | undefined;
  /** The last row of the previous page: (ts, gateway id, seq). */
  after?: KeyValues | undefined;
  limit: number;
}

/** Time order; (gateway_id, seq) is the reading's primary key, so the order is total. */
const KEYS: KeyColumn[] = [{ column: 'ts' }, { column: 'gateway_id' }, { column: 'seq' }];

/** The cursor's types, for `decodePageCursor`. */
export const READING_CURSOR_SHAPE = ['n', 's', 'n'] as const;

/**
 * The query of one page of readings after `after` (`limit + 1` rows: `pageOf` tells whether more follow).
 * Besides the row-value condition the page starts with `ts >= after.ts`, a plain range on `ts` the
 * `(location_id, ts)` and `(sensor_id, ts)` indexes serve, so a filtered page is read from its cursor on
 * rather than from the start of the location's or sensor's history.
 */
export function readingPageQuery(db: Kysely<Database>, q: ReadingListQuery) {
  let s = db.selectFrom('readings').selectAll();
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.sensorId) s = s.where('sensor_id', '=', q.sensorId);
  if (q.fromTs !== undefined) s = s.where('ts', '>=', q.fromTs);
  if (q.toTs !== undefined) s = s.where('ts', '<', q.toTs);
  if (q.after) s = s.where('ts', '>=', Number(q.after[0])).where(keysetAfter(KEYS, q.after));
  return s
    .orderBy('ts')
    .orderBy('gateway_id')
    .orderBy('seq')
    .limit(q.limit + 1);
}

/**
 * One page of readings in time order (docs/architecture.md "Lists and paging"); the numbers as numbers
 * (PostgreSQL's bigint columns arrive as strings).
 */
export async function pageReadings(
  db: Kysely<Database>,
  q: ReadingListQuery,
): Promise<{ items: ReadingsTable[]; next: KeyValues | null }> {
  const rows = (await readingPageQuery(db, q).execute()).map((r) => ({
    ...r,
    ts: Number(r.ts),
    seq: Number(r.seq),
    received_at: Number(r.received_at),
  }));
  return pageOf(rows, q.limit, (r) => [r.ts, r.gateway_id, r.seq]);
}
