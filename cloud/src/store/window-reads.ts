import type { Sample } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { WindowReads } from '../domain/location-evaluation.js';
import { nearestInRanges } from './queries/nearest-in-ranges.js';
import type { DomainDatabase } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

const finite = (n: number) => Number.isFinite(n);
const key = (sensorId: string, ts: number) => `${ts}:${sensorId}`;

/** At most this many sensors' conditions per statement (parameters stay far below both stores' limits). */
const PER_STATEMENT = 200;
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
      const rangesOf = new Map<string, number[]>();
      ranges.forEach((r, i) => {
        rangesOf.set(r.sensorId, [...(rangesOf.get(r.sensorId) ?? []), i]);
      });
      for (const part of parts(ranges)) {
        const rows = await db
          .selectFrom('readings')
          .select(['sensor_id', 'ts', 'temp_c'])
          .where('location_id', '=', locationId)
          .where((eb) =>
            eb.or(
              part.map((r) => {
                const c = [eb('sensor_id', '=', r.sensorId)];
                if (finite(r.lo)) c.push(eb('ts', '>=', r.lo));
                if (finite(r.hi)) c.push(eb('ts', '<=', r.hi));
                return eb.and(c);
              }),
            ),
          )
          .orderBy('sensor_id')
          .orderBy('ts')
          .execute();
        // A sensor's rows go to each of its ranges that holds them (the domain asks one range per sensor).
        for (const row of rows)
          for (const i of rangesOf.get(row.sensor_id) ?? []) {
            const r = ranges[i]!;
            if (row.ts >= r.lo && row.ts <= r.hi) out[i]!.push({ ts: row.ts, tempC: row.temp_c });
          }
      }
      return out;
    },
    async nearestInRange(locationId, asks, side) {
      return nearestInRanges(db, locationId, asks, side === 'before' ? '<' : '>');
    },
    async valuesAt(locationId, at) {
      const byKey = new Map<string, Array<number | null>>(at.map((p) => [key(p.sensorId, p.ts), []]));
      for (const part of parts(at)) {
        const rows = await db
          .selectFrom('readings')
          .select(['sensor_id', 'ts', 'temp_c'])
          .where('location_id', '=', locationId)
          .where((eb) =>
            eb.or(part.map((p) => eb.and([eb('sensor_id', '=', p.sensorId), eb('ts', '=', p.ts)]))),
          )
          .execute();
        for (const r of rows) byKey.get(key(r.sensor_id, r.ts))?.push(r.temp_c);
      }
      return at.map((p) => byKey.get(key(p.sensorId, p.ts))!);
    },
  };
}
