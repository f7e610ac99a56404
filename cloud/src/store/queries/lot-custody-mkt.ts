import type { Sample } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { custodyMkt } from '../../domain/lot-mkt.js';
import type { LotStay } from '../../domain/lot-stays.js';
import type { Database } from '../schema.js';
import { lotStays } from './lot-stays.js';
import { stayRangeQuery } from './readings-during-stays.js';

/** No custody interval ends later than this (an open stay is read up to its last reading). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

/**
 * Per sensor, the readings that decide one stay's MKT (domain/lot-mkt.ts `StaySeries`): those inside the stay,
 * read by the stay's index range query (`stayRangeQuery`, readings_location_ts), plus two point lookups per
 * sensor on readings_sensor_ts: its last known reading before the stay and its first one at or after its end.
 */
async function staySeries(db: Kysely<Database>, stay: LotStay): Promise<Map<string, Sample[]>> {
  const rows = await stayRangeQuery(db, {
    locationId: stay.locationId,
    fromTs: stay.from,
    toTs: stay.to ?? OPEN_END,
  }).execute();
  const series = new Map<string, Sample[]>();
  for (const r of rows) {
    const list = series.get(r.sensor_id) ?? [];
    list.push({ ts: Number(r.ts), tempC: r.temp_c });
    series.set(r.sensor_id, list);
  }
  const at = (sensorId: string) =>
    db
      .selectFrom('readings')
      .select(['ts', 'temp_c'])
      .where('sensor_id', '=', sensorId)
      .where('location_id', '=', stay.locationId);
  for (const [sensorId, list] of series) {
    const before = await at(sensorId)
      .where('ts', '<', stay.from)
      .where('temp_c', 'is not', null)
      .orderBy('ts', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (before) list.unshift({ ts: Number(before.ts), tempC: before.temp_c });
    if (stay.to === null) continue;
    const after = await at(sensorId).where('ts', '>=', stay.to).orderBy('ts').limit(1).executeTakeFirst();
    if (after) list.push({ ts: Number(after.ts), tempC: after.temp_c });
  }
  return series;
}

/**
 * The lot's MKT over its custody so far (domain/lot-mkt.ts `custodyMkt`): its custody timeline (`lotStays`)
 * and, stay by stay, the readings taken there while its units were there. Reads only the stays' ranges.
 */
export async function lotCustodyMkt(db: Kysely<Database>, lotId: string): Promise<number | null> {
  const stays = [];
  for (const stay of await lotStays(db, lotId)) stays.push({ stay, series: await staySeries(db, stay) });
  return custodyMkt(stays);
}
