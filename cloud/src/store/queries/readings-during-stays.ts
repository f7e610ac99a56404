import { type Kysely, sql } from 'kysely';
import type { LotStay } from '../../domain/lot-stays.js';
import type { Database, ReadingsTable } from '../schema.js';

/** Position after the last reading of a page: readings are ordered by (ts, gatewayId, seq). */
export interface ReadingCursor {
  ts: number;
  gatewayId: string;
  seq: number;
}

export type StayReading = Omit<ReadingsTable, 'received_at'>;

/** No custody interval ends later than this (an open one is clipped here). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

/**
 * One page of the readings taken at the stays' locations during the stays (`[from, to)`, clipped to
 * `[fromTs, toTs)`), in (ts, gatewayId, seq) order after `after`. Stays at one location never overlap
 * (they are merged), so no reading appears twice. Returns up to `limit` rows and whether more follow.
 */
export async function readingsDuringStays(
  db: Kysely<Database>,
  stays: readonly LotStay[],
  q: {
    fromTs?: number | undefined;
    toTs?: number | undefined;
    after?: ReadingCursor | undefined;
    limit: number;
  },
): Promise<{ rows: StayReading[]; more: boolean }> {
  const windows = stays
    .map((s) => ({
      locationId: s.locationId,
      from: Math.max(s.from, q.fromTs ?? 0),
      to: Math.min(s.to ?? OPEN_END, q.toTs ?? OPEN_END),
    }))
    .filter((w) => w.to > w.from);
  if (windows.length === 0) return { rows: [], more: false };
  // The windows as a VALUES table joined to the readings (readings_location_ts serves each window).
  const values = sql.join(
    windows.map((w) => sql`(${w.locationId}, cast(${w.from} as bigint), cast(${w.to} as bigint))`),
  );
  const a = q.after;
  const afterCursor = a
    ? sql`and (r.ts > ${a.ts} or (r.ts = ${a.ts} and (r.gateway_id > ${a.gatewayId} or (r.gateway_id = ${a.gatewayId} and r.seq > ${a.seq}))))`
    : sql``;
  const result = await sql<StayReading>`
    with w (location_id, from_ts, to_ts) as (values ${values})
    select r.gateway_id, r.seq, r.sensor_id, r.location_id, r.ts, r.temp_c, r.rh, r.quality
    from readings r
    join w on r.location_id = w.location_id and r.ts >= w.from_ts and r.ts < w.to_ts
    where 1 = 1 ${afterCursor}
    order by r.ts, r.gateway_id, r.seq
    limit ${q.limit + 1}`.execute(db);
  const rows = result.rows.map((r) => ({ ...r, ts: Number(r.ts), seq: Number(r.seq) }));
  return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
}
