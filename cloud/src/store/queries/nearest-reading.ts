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
 * The query of the row of `q` (a filtered read of `readings`) nearest to `ts` on `side`; `probe` bounds it
 * to NEAREST_PROBE_MS from `ts` as well. Exported for its plan test.
 */
export function nearestQuery<O>(q: ReadingsQuery<O>, side: NearestSide, ts: number, probe: boolean) {
  if (side === '<') {
    const r = q.where('ts', '<', ts);
    return (probe ? r.where('ts', '>=', ts - NEAREST_PROBE_MS) : r).orderBy('ts', 'desc').limit(1);
  }
  const r = q.where('ts', side, ts);
  return (probe ? r.where('ts', '<', ts + NEAREST_PROBE_MS) : r).orderBy('ts').limit(1);
}

/**
 * The row of `q` nearest to `ts` on `side` (the last known reading before a stay, the first one after it):
 * looked for within NEAREST_PROBE_MS of `ts` first, and over the whole history only when that range has
 * none. The answer is the unbounded read's: a row inside the probe is nearer than every row outside it,
 * and an empty probe runs the unbounded read itself. On PostgreSQL a one-sided time bound prunes only the
 * partitions on the other side of `ts`: the unbounded read plans and opens every month partition of the
 * history before it (about 1.3 ms with 36 months, docs/performance.md), the probe one or two.
 */
export async function nearestReading<O>(
  q: ReadingsQuery<O>,
  side: NearestSide,
  ts: number,
): Promise<O | undefined> {
  return (
    (await nearestQuery(q, side, ts, true).executeTakeFirst()) ??
    (await nearestQuery(q, side, ts, false).executeTakeFirst())
  );
}
