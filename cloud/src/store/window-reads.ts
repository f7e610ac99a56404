import type { Sample } from '@coldtrace/shared';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { WindowReads } from '../domain/location-evaluation.js';
import { nearestInRanges } from './queries/nearest-in-ranges.js';
import type { DomainDatabase } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

const finite = (n: number) => Number.isFinite(n);

/**
 * The branches as one `UNION ALL` statement. Branches, not one `OR` of per-sensor conditions: with
 * `location_id = ?` beside an `OR`, SQLite plans the (location_id, ts) index on the location alone and
 * reads the location's whole history (seen in EXPLAIN QUERY PLAN); a branch keeps its sensor's index range
 * (`window-reads-plan.test.ts`).
 */
function unionAll<Q extends { unionAll(q: Q): Q }>(branches: Q[]): Q {
  return branches.slice(1).reduce((q, b) => q.unionAll(b), branches[0]!);
}

/** At most this many sensors' conditions per statement (parameters stay far below both stores' limits). */
const PER_STATEMENT = 100;
function parts<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += PER_STATEMENT) out.push(items.slice(i, i + PER_STATEMENT));
  return out;
}

/** `WindowReads` (what a window's excursion evaluation reads) over a database or the derive transaction. */
export function windowReads(db: Db): WindowReads {
  return {
    async excursionsNear(locationId, lo, hi) {
      let q = db.selectFrom('excursions').selectAll().where('location_id', '=', locationId);
      if (finite(hi)) q = q.where('start_ts', '<=', hi);
      if (finite(lo)) q = q.where((eb) => eb.or([eb('end_ts', '>=', lo), eb('last_ts', '>=', lo)]));
      return q.orderBy('start_ts').execute();
    },
    async sensorsIn(locationId, lo, hi) {
      let q = db.selectFrom('readings').select('sensor_id').distinct().where('location_id', '=', locationId);
      if (finite(lo)) q = q.where('ts', '>=', lo);
      if (finite(hi)) q = q.where('ts', '<=', hi);
      return (await q.execute()).map((r) => r.sensor_id);
    },
    async samples(locationId, ranges) {
      const out = ranges.map((): Sample[] => []);
      // One branch per range: each reads its sensor's own index range, whatever the location's history.
      for (const part of parts(ranges.map((r, i) => ({ ...r, i })))) {
        const branches = part.map((r) => {
          let q = db
            .selectFrom('readings')
            .select(['ts', 'temp_c', sql.lit(r.i).as('ask')])
            .where('sensor_id', '=', r.sensorId)
            .where('location_id', '=', locationId);
          if (finite(r.lo)) q = q.where('ts', '>=', r.lo);
          if (finite(r.hi)) q = q.where('ts', '<=', r.hi);
          return q;
        });
        for (const row of await unionAll(branches).execute())
          out[Number(row.ask)]!.push({ ts: row.ts, tempC: row.temp_c });
      }
      for (const samples of out) samples.sort((a, b) => a.ts - b.ts);
      return out;
    },
    async nearestInRange(locationId, asks, side) {
      return nearestInRanges(db, locationId, asks, side === 'before' ? '<' : '>');
    },
    async valuesAt(locationId, at) {
      const out = at.map((): Array<number | null> => []);
      for (const part of parts(at.map((p, i) => ({ ...p, i })))) {
        const branches = part.map((p) =>
          db
            .selectFrom('readings')
            .select(['temp_c', sql.lit(p.i).as('ask')])
            .where('sensor_id', '=', p.sensorId)
            .where('location_id', '=', locationId)
            .where('ts', '=', p.ts),
        );
        for (const row of await unionAll(branches).execute()) out[Number(row.ask)]!.push(row.temp_c);
      }
      return out;
    },
  };
}
