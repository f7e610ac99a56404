import { type Kysely, sql, type Transaction } from 'kysely';
import type { NearestAsk } from '../../domain/in-range-neighbours.js';
import { sensorSpanAt } from '../location-sensors.js';
import type { DomainDatabase } from '../schema.js';
import { nearestQuery, type ReadingSpan, spanHasNone } from './nearest-reading.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/** At most this many sensors' questions per statement (one branch each, 5 parameters a branch). */
const PER_STATEMENT = 100;

/**
 * Per ask (same order), the instant of its sensor's nearest reading at the location strictly before (`<`)
 * or after (`>`) its `ts` within [minC, maxC]. `nearestReading` for several sensors at once: each ask is a
 * branch of one `UNION ALL` (the branch `nearestQuery` builds for one sensor, so each keeps its own time
 * bounds and PostgreSQL prunes each branch's partitions), first within NEAREST_PROBE_MS of its `ts`, then,
 * for the asks that found none, over the whole history in a second statement, bounded by each sensor's
 * span as `nearestReading` is (an ask with no reading of its sensor beyond its `ts` is not sent again).
 */
export async function nearestInRanges(
  db: Db,
  locationId: string,
  asks: readonly NearestAsk[],
  side: '<' | '>',
): Promise<Array<number | undefined>> {
  const out: Array<number | undefined> = asks.map(() => undefined);
  let open = asks.map((_, i) => i);
  const spans = new Map<string, ReadingSpan>();
  for (const probe of [true, false]) {
    if (!probe) {
      for (const i of open) {
        const id = asks[i]!.sensorId;
        if (!spans.has(id)) spans.set(id, await sensorSpanAt(db, locationId, id));
      }
      open = open.filter((i) => !spanHasNone(spans.get(asks[i]!.sensorId), side, asks[i]!.ts));
      if (open.length === 0) break;
    }
    const missing: number[] = [];
    for (let p = 0; p < open.length; p += PER_STATEMENT) {
      const part = open.slice(p, p + PER_STATEMENT);
      const branches = part.map((i) => {
        const a = asks[i]!;
        const rows = db
          .selectFrom('readings')
          .select('ts')
          .where('sensor_id', '=', a.sensorId)
          .where('location_id', '=', locationId)
          .where('temp_c', '>=', a.minC)
          .where('temp_c', '<=', a.maxC);
        return db
          .selectFrom(nearestQuery(rows, side, a.ts, probe, spans.get(a.sensorId) ?? undefined).as('n'))
          .select(['n.ts', sql.lit(i).as('ask')]);
      });
      let q = branches[0]!;
      for (const b of branches.slice(1)) q = q.unionAll(b);
      const found = new Set<number>();
      for (const r of await q.execute()) {
        const i = Number(r.ask);
        out[i] = Number(r.ts);
        found.add(i);
      }
      for (const i of part) if (!found.has(i)) missing.push(i);
    }
    open = missing;
    if (open.length === 0) break;
  }
  return out;
}
