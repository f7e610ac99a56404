import type { Kysely, Transaction } from 'kysely';
import type { WindowReads } from '../domain/location-evaluation.js';
import { nearestReading } from './queries/nearest-reading.js';
import type { DomainDatabase } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

const finite = (n: number) => Number.isFinite(n);

/** `WindowReads` (what a window's excursion evaluation reads) over a database or the derive transaction. */
export function windowReads(db: Db): WindowReads {
  const sensorRows = (locationId: string, sensorId: string) =>
    db.selectFrom('readings').where('sensor_id', '=', sensorId).where('location_id', '=', locationId);
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
    async samples(locationId, sensorId, lo, hi) {
      let q = sensorRows(locationId, sensorId).select(['ts', 'temp_c']);
      if (finite(lo)) q = q.where('ts', '>=', lo);
      if (finite(hi)) q = q.where('ts', '<=', hi);
      return (await q.orderBy('ts').execute()).map((r) => ({ ts: r.ts, tempC: r.temp_c }));
    },
    async nearestInRange(locationId, sensorId, ts, side, minC, maxC) {
      const inRange = sensorRows(locationId, sensorId)
        .select('ts')
        .where('temp_c', '>=', minC)
        .where('temp_c', '<=', maxC);
      return (await nearestReading(inRange, side === 'before' ? '<' : '>', ts))?.ts;
    },
    async valuesAt(locationId, sensorId, ts) {
      return (await sensorRows(locationId, sensorId).select('temp_c').where('ts', '=', ts).execute()).map(
        (r) => r.temp_c,
      );
    },
  };
}
