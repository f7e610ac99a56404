import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../schema.js';

/**
 * How far from its bound a nearest-reading read looks first: a week, so on PostgreSQL the probe's time
 * range lies in at most two month partitions of `readings` (docs/operations.md "Partitions of readings").
 */
export const NEAREST_PROBE_MS = 7 * 86_400_000;

/** Strictly before the bound (latest first), strictly after it, or at or after it (earliest first). */
export type NearestSide = '<' | '>' | '>=';

type ReadingsQuery<O> = SelectQueryBuilder<Database, 'readings', O>;

/**
 * The data-time span holding every stored row of the read (store/location-sensors.ts `sensorSpanAt`), `null`
 * when it has none, `undefined` when the store does not know it.
 */
export type ReadingSpan = { first: number; last: number } | null | undefined;

/**
 * The query of the row of `q` (a filtered read of `readings`) nearest to `ts` on `side`; `probe` bounds it
 * to NEAREST_PROBE_MS from `ts` as well, `span` to the rows' span. Exported for its plan test.
 */
export function nearestQuery<O>(
  q: ReadingsQuery<O>,
  side: NearestSide,
  ts: number,
  probe: boolean,
  span?: { first: number; last: number },
) {
  if (side === '<') {
    let r = q.where('ts', '<', ts);
    if (probe) r = r.where('ts', '>=', ts - NEAREST_PROBE_MS);
    if (span) r = r.where('ts', '>=', span.first);
    return r.orderBy('ts', 'desc').limit(1);
  }
  let r = q.where('ts', side, ts);
  if (probe) r = r.where('ts', '<', ts + NEAREST_PROBE_MS);
  if (span) r = r.where('ts', '<=', span.last);
  return r.orderBy('ts').limit(1);
}

/** Whether a span shows that the read has no row on `side` of `ts` (none at all for `null`). */
export const spanHasNone = (s: ReadingSpan, side: NearestSide, ts: number): boolean =>
  s === null ||
  (s !== undefined && (side === '<' ? s.first >= ts : side === '>' ? s.last <= ts : s.last < ts));

/**
 * The row of `q` nearest to `ts` on `side` (the last known reading before a stay, the first one after it):
 * looked for within NEAREST_PROBE_MS of `ts` first, and over the whole history only when that range has
 * none. The answer is the unbounded read's: a row inside the probe is nearer than every row outside it,
 * and an empty probe runs the unbounded read itself. On PostgreSQL a one-sided time bound prunes only the
 * partitions on the other side of `ts`: the unbounded read plans and opens every month partition of the
 * history before it (about 1.3 ms with 36 months, docs/performance.md), the probe one or two.
 *
 * `span`, asked only when the probe is empty, bounds the read over the history by the data-time span of
 * the rows `q` can find: on SQLite a sensor's readings are read within its location's range (migration
 * 0043), so without it a sensor with no reading on `side` would walk every other sensor's rows there to
 * the end of the history. The answer is the same: no row of `q` lies outside its span.
 */
export async function nearestReading<O>(
  q: ReadingsQuery<O>,
  side: NearestSide,
  ts: number,
  span?: () => Promise<ReadingSpan>,
): Promise<O | undefined> {
  const near = await nearestQuery(q, side, ts, true).executeTakeFirst();
  if (near !== undefined) return near;
  const s = span ? await span() : undefined;
  if (spanHasNone(s, side, ts)) return undefined;
  return nearestQuery(q, side, ts, false, s ?? undefined).executeTakeFirst();
}
