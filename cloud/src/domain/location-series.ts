import {
  type ExposureCondition,
  exposureIntervals,
  type Interval,
  type Sample,
  unionIntervals,
} from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/**
 * Per sensor, the readings of a location that decide what its air did over `[from, to)` (`to` null =
 * open-ended): from the sensor's last *known* reading before `from` (the one holding when a unit entered;
 * an unknown reading sets no state of its own) to its first reading at or after `to` (so the last reading
 * inside the span holds until then). Sensors with no reading at or after `from` say nothing about the
 * span (their last reading holds no time) and are left out.
 */
export async function seriesOver(
  db: Db,
  locationId: string,
  from: number,
  to: number | null,
): Promise<Map<string, Sample[]>> {
  let sq = db.selectFrom('readings').select('sensor_id').distinct().where('location_id', '=', locationId);
  if (Number.isFinite(from)) sq = sq.where('ts', '>=', from);
  const sensors = (await sq.execute()).map((r) => r.sensor_id).sort();
  const out = new Map<string, Sample[]>();
  for (const sensorId of sensors) {
    let lo = from;
    if (Number.isFinite(from)) {
      const before = await db
        .selectFrom('readings')
        .select('ts')
        .where('sensor_id', '=', sensorId)
        .where('location_id', '=', locationId)
        .where('ts', '<', from)
        .where('temp_c', 'is not', null)
        .orderBy('ts', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (before) lo = before.ts;
    }
    let hi: number | null = null;
    if (to !== null && Number.isFinite(to)) {
      const after = await db
        .selectFrom('readings')
        .select('ts')
        .where('sensor_id', '=', sensorId)
        .where('location_id', '=', locationId)
        .where('ts', '>=', to)
        .orderBy('ts')
        .limit(1)
        .executeTakeFirst();
      hi = after?.ts ?? null;
    }
    let rq = db
      .selectFrom('readings')
      .select(['ts', 'temp_c'])
      .where('sensor_id', '=', sensorId)
      .where('location_id', '=', locationId);
    if (Number.isFinite(lo)) rq = rq.where('ts', '>=', lo);
    if (hi !== null) rq = rq.where('ts', '<=', hi);
    const rows = await rq.orderBy('ts').execute();
    out.set(
      sensorId,
      rows.map((r) => ({ ts: r.ts, tempC: r.temp_c })),
    );
  }
  return out;
}

/** The location's exposure intervals for a condition: the union over its sensors (see `exposureIntervals`). */
export function locationExposure(series: ReadonlyMap<string, Sample[]>, c: ExposureCondition): Interval[] {
  return unionIntervals([...series.values()].map((s) => exposureIntervals(s, c)));
}
