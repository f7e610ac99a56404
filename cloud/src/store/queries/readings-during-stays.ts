import type { Kysely } from 'kysely';
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
/** Rows read per index range query of one stay (more are read as the merge consumes them). */
const CHUNK = 1000;

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The page order: (ts, gatewayId, seq); gateway ids by code unit, as SQLite's BINARY collation. */
const cmpReading = (a: StayReading, b: StayReading) =>
  a.ts - b.ts || cmpStr(a.gateway_id, b.gateway_id) || a.seq - b.seq;
const afterCursor = (r: StayReading, c: ReadingCursor) =>
  r.ts > c.ts ||
  (r.ts === c.ts && (r.gateway_id > c.gatewayId || (r.gateway_id === c.gatewayId && r.seq > c.seq)));

/**
 * One index range query of a stay: the location's readings with `ts` in `[fromTs, toTs)` by `ts`
 * (the (location, ts) index serves the range and the order: no sort, no scan of other locations). Exported so
 * the plan tests explain this exact query.
 */
export function stayRangeQuery(
  db: Kysely<Database>,
  r: { locationId: string; fromTs: number; toTs: number; limit?: number | undefined },
) {
  const q = db
    .selectFrom('readings')
    .select(['gateway_id', 'seq', 'sensor_id', 'location_id', 'ts', 'temp_c', 'rh', 'quality'])
    .where('location_id', '=', r.locationId)
    .where('ts', '>=', r.fromTs)
    .where('ts', '<', r.toTs)
    .orderBy('ts');
  return r.limit === undefined ? q : q.limit(r.limit);
}

const norm = (r: StayReading): StayReading => ({ ...r, ts: Number(r.ts), seq: Number(r.seq) });

/**
 * The readings of one stay window in page order, read lazily: each chunk is one index range query that
 * ends on a whole timestamp (readings sharing the chunk's last `ts` are read with an equality query), so
 * the order within a timestamp is settled in memory on a few rows, never on the rest of the stay.
 */
class StayStream {
  private buf: StayReading[] = [];
  private pos = 0;
  private done = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly locationId: string,
    /** Next `ts` not read yet. */
    private lo: number,
    private readonly hi: number,
    private readonly after: ReadingCursor | undefined,
    private readonly chunk: number,
  ) {}

  /** The next reading without consuming it; undefined when the stay has no more. */
  async peek(): Promise<StayReading | undefined> {
    while (this.pos >= this.buf.length && !this.done) await this.fill();
    return this.buf[this.pos];
  }

  next(): void {
    this.pos++;
  }

  private async fill(): Promise<void> {
    const base = { locationId: this.locationId, fromTs: this.lo, toTs: this.hi };
    let rows = (await stayRangeQuery(this.db, { ...base, limit: this.chunk }).execute()).map(norm);
    if (rows.length < this.chunk) this.done = true;
    else {
      const lastTs = rows[rows.length - 1]!.ts;
      const whole = (
        await stayRangeQuery(this.db, {
          locationId: this.locationId,
          fromTs: lastTs,
          toTs: lastTs + 1,
        }).execute()
      ).map(norm);
      rows = [...rows.filter((r) => r.ts < lastTs), ...whole];
      this.lo = lastTs + 1;
      if (this.lo >= this.hi) this.done = true;
    }
    const a = this.after;
    this.buf = (a ? rows.filter((r) => afterCursor(r, a)) : rows).sort(cmpReading);
    this.pos = 0;
  }
}

/**
 * One page of the readings taken at the stays' locations during the stays (`[from, to)`, clipped to
 * `[fromTs, toTs)`), in (ts, gatewayId, seq) order after `after`. Stays at one location never overlap
 * (they are merged), so no reading appears twice. Each stay is read by its own index range query
 * (`stayRangeQuery`) and the stays are merged in time order (k-way merge), reading only as far as the
 * page needs: a stay starting after the page's last reading is never queried (docs/performance.md "Read
 * paths"). Returns up to `limit` rows and whether more follow.
 */
export async function readingsDuringStays(
  db: Kysely<Database>,
  stays: readonly LotStay[],
  q: {
    fromTs?: number | undefined;
    toTs?: number | undefined;
    after?: ReadingCursor | undefined;
    limit: number;
    /** Rows per range query (default 1000; small in tests to cross chunk boundaries). */
    chunk?: number | undefined;
  },
): Promise<{ rows: StayReading[]; more: boolean }> {
  const a = q.after;
  const windows = stays
    .map((s) => ({
      locationId: s.locationId,
      from: Math.max(s.from, q.fromTs ?? 0, a?.ts ?? 0),
      to: Math.min(s.to ?? OPEN_END, q.toTs ?? OPEN_END),
    }))
    .filter((w) => w.to > w.from)
    .sort((x, y) => x.from - y.from);
  // Streams not yet read wait in `pending` (by start); one is opened once the merge reaches its start.
  const open: StayStream[] = [];
  let nextPending = 0;
  const rows: StayReading[] = [];
  while (rows.length <= q.limit) {
    let best: { s: StayStream; r: StayReading } | undefined;
    for (const s of open) {
      const r = await s.peek();
      if (r && (!best || cmpReading(r, best.r) < 0)) best = { s, r };
    }
    const w = windows[nextPending];
    // A stay starting at or before the best candidate may hold an earlier reading: open it first.
    if (w && (!best || w.from <= best.r.ts)) {
      open.push(new StayStream(db, w.locationId, w.from, w.to, a, q.chunk ?? CHUNK));
      nextPending++;
      continue;
    }
    if (!best) break;
    rows.push(best.r);
    best.s.next();
    // A stream that is exhausted is dropped so the scan over open streams stays short.
    if (!(await best.s.peek())) open.splice(open.indexOf(best.s), 1);
  }
  return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
}
