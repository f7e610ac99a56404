import { ColdtraceError } from '@coldtrace/shared';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { DomainDatabase } from '../../store/schema.js';

type Db = Kysely<DomainDatabase>;

/** A stay of the lot at a location: its units' custody intervals there, merged where they overlap. */
export interface LotStay {
  locationId: string;
  /** When the first of these units entered. */
  from: number;
  /** When the last of them left; null while one is still there. */
  to: number | null;
  /** Distinct units of the lot in this stay. */
  units: number;
}

/**
 * The lot's custody timeline: every custody interval `[enteredAt, leftAt)` of the lot's units, merged per
 * location where intervals overlap or touch (units that moved together), ordered by time.
 */
export async function lotStays(db: Db, lotId: string): Promise<LotStay[]> {
  const rows = await db
    .selectFrom('custody')
    .innerJoin('epcs', 'epcs.epc', 'custody.epc')
    .select(['custody.epc', 'custody.location_id', 'custody.entered_at', 'custody.left_at'])
    .where('epcs.lot_id', '=', lotId)
    .orderBy('custody.location_id')
    .orderBy('custody.entered_at')
    .execute();
  const stays: Array<LotStay & { epcs: Set<string> }> = [];
  let open: (LotStay & { epcs: Set<string> }) | undefined;
  for (const r of rows) {
    if (open && open.locationId === r.location_id && (open.to === null || r.entered_at <= open.to)) {
      open.to = open.to === null || r.left_at === null ? null : Math.max(open.to, r.left_at);
      open.epcs.add(r.epc);
      continue;
    }
    open = { locationId: r.location_id, from: r.entered_at, to: r.left_at, units: 0, epcs: new Set([r.epc]) };
    stays.push(open);
  }
  return stays
    .map(({ epcs, ...s }) => ({ ...s, units: epcs.size }))
    .sort((a, b) => a.from - b.from || a.locationId.localeCompare(b.locationId));
}

/** Position after the last reading of a page: readings are ordered by (ts, gatewayId, seq). */
export interface ReadingCursor {
  ts: number;
  gatewayId: string;
  seq: number;
}

export const encodeCursor = (c: ReadingCursor): string =>
  Buffer.from(JSON.stringify([c.ts, c.gatewayId, c.seq])).toString('base64url');

/** Parses a cursor from `encodeCursor`; throws `invalid` naming the parameter otherwise. */
export function decodeCursor(s: string, param = 'after'): ReadingCursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      Number.isSafeInteger(v[0]) &&
      typeof v[1] === 'string' &&
      Number.isSafeInteger(v[2])
    )
      return { ts: v[0], gatewayId: v[1], seq: v[2] };
  } catch {
    // fall through
  }
  throw new ColdtraceError('invalid', `${param}: not a cursor returned by this endpoint (nextAfter)`);
}

/** No custody interval ends later than this (an open one is clipped here). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

export interface ReadingRow {
  gateway_id: string;
  seq: number;
  sensor_id: string;
  location_id: string;
  ts: number;
  temp_c: number | null;
  rh: number | null;
  quality: string;
}

/**
 * One page of the readings taken at the stays' locations during the stays (`[from, to)`, clipped to
 * `[fromTs, toTs)`), in (ts, gatewayId, seq) order after `after`. Stays at one location never overlap
 * (they are merged), so no reading appears twice. Returns up to `limit` rows and whether more follow.
 */
export async function readingsDuringStays(
  db: Db,
  stays: readonly LotStay[],
  q: {
    fromTs?: number | undefined;
    toTs?: number | undefined;
    after?: ReadingCursor | undefined;
    limit: number;
  },
): Promise<{ rows: ReadingRow[]; more: boolean }> {
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
  const result = await sql<ReadingRow>`
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

export type UnitLockState = 'locked' | 'rejected' | 'released' | 'free';

/** A unit's lock state over all its locks: an active lock wins, then a rejection, then a release. */
export function unitLockState(locks: ReadonlyArray<{ state: string }>): UnitLockState {
  if (locks.some((l) => l.state === 'active')) return 'locked';
  if (locks.some((l) => l.state === 'rejected')) return 'rejected';
  if (locks.some((l) => l.state === 'released')) return 'released';
  return 'free';
}

/** One page of a lot's commissioned units (EPC order after `after`), each with its custody and locks. */
export async function lotTracePage(
  db: Db,
  lotId: string,
  q: { after?: string | undefined; limit: number },
): Promise<{
  total: number;
  units: Array<{
    epc: string;
    custody: Array<Selectable<DomainDatabase['custody']>>;
    locks: Array<Selectable<DomainDatabase['locks']>>;
  }>;
  more: boolean;
}> {
  const count = await db
    .selectFrom('epcs')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('lot_id', '=', lotId)
    .executeTakeFirst();
  let page = db.selectFrom('epcs').select('epc').where('lot_id', '=', lotId);
  if (q.after !== undefined) page = page.where('epc', '>', q.after);
  const epcRows = await page
    .orderBy('epc')
    .limit(q.limit + 1)
    .execute();
  const epcs = epcRows.slice(0, q.limit).map((r) => r.epc);
  const custody = new Map<string, Array<Selectable<DomainDatabase['custody']>>>(epcs.map((e) => [e, []]));
  const locks = new Map<string, Array<Selectable<DomainDatabase['locks']>>>(epcs.map((e) => [e, []]));
  for (let i = 0; i < epcs.length; i += 500) {
    const chunk = epcs.slice(i, i + 500);
    const [c, l] = await Promise.all([
      db
        .selectFrom('custody')
        .selectAll()
        .where('epc', 'in', chunk)
        .orderBy('epc')
        .orderBy('entered_at')
        .execute(),
      db
        .selectFrom('locks')
        .selectAll()
        .where('epc', 'in', chunk)
        .orderBy('epc')
        .orderBy('created_at')
        .execute(),
    ]);
    for (const r of c) custody.get(r.epc)?.push(r);
    for (const r of l) locks.get(r.epc)?.push(r);
  }
  return {
    total: Number(count?.n ?? 0),
    units: epcs.map((epc) => ({ epc, custody: custody.get(epc)!, locks: locks.get(epc)! })),
    more: epcRows.length > q.limit,
  };
}
