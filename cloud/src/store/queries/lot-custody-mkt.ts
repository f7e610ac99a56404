import type { Sample } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { custodyMkt } from '../../domain/lot-mkt.js';
import type { LotStay } from '../../domain/lot-stays.js';
import { sensorSpanAt } from '../location-sensors.js';
import type { Database } from '../schema.js';
import { lotStays } from './lot-stays.js';
import { nearestReading } from './nearest-reading.js';
import { stayRangeQuery } from './readings-during-stays.js';

/** No custody interval ends later than this (an open stay is read up to its last reading). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

/** What the custody MKT reads: the lot's custody timeline and, per stay, its series. */
export interface CustodyMktReads {
  lotStays(lotId: string): Promise<LotStay[]>;
  /** Per sensor, the readings that decide one stay's MKT (domain/lot-mkt.ts `StaySeries`). */
  staySeries(stay: LotStay): Promise<Map<string, Sample[]>>;
}

/** A sensor's readings around a stay: its last known one before it and its first one at or after its end. */
export interface StayEdge {
  sensorId: string;
  before: Sample | null;
  after: Sample | null;
}

const rangeOf = (stay: LotStay) => ({
  locationId: stay.locationId,
  fromTs: stay.from,
  toTs: stay.to ?? OPEN_END,
});

/** The readings inside a stay by sensor, read by the stay's index range query on (location, ts). */
export async function stayRange(db: Kysely<Database>, stay: LotStay): Promise<Map<string, Sample[]>> {
  const series = new Map<string, Sample[]>();
  for (const r of await stayRangeQuery(db, rangeOf(stay)).execute()) {
    const list = series.get(r.sensor_id) ?? [];
    list.push({ ts: Number(r.ts), tempC: r.temp_c });
    series.set(r.sensor_id, list);
  }
  return series;
}

/** How many readings lie inside a stay (the cache check of `stayRange`: an index-only count). */
export async function stayCount(db: Kysely<Database>, stay: LotStay): Promise<number> {
  const { locationId, fromTs, toTs } = rangeOf(stay);
  const r = await db
    .selectFrom('readings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('location_id', '=', locationId)
    .where('ts', '>=', fromTs)
    .where('ts', '<', toTs)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Two point lookups per sensor (`nearestReading`, on (sensor, ts)): its edges around the stay (`StayEdge`). */
export async function stayEdges(
  db: Kysely<Database>,
  stay: LotStay,
  sensorIds: readonly string[],
): Promise<StayEdge[]> {
  const at = (sensorId: string) =>
    db
      .selectFrom('readings')
      .select(['ts', 'temp_c'])
      .where('sensor_id', '=', sensorId)
      .where('location_id', '=', stay.locationId);
  const sample = (r: { ts: number; temp_c: number | null } | undefined) =>
    r ? { ts: Number(r.ts), tempC: r.temp_c } : null;
  const out: StayEdge[] = [];
  for (const sensorId of sensorIds) {
    const span = () => sensorSpanAt(db, stay.locationId, sensorId);
    const before = await nearestReading(at(sensorId).where('temp_c', 'is not', null), '<', stay.from, span);
    const after = stay.to === null ? undefined : await nearestReading(at(sensorId), '>=', stay.to, span);
    out.push({ sensorId, before: sample(before), after: sample(after) });
  }
  return out;
}

/** A stay's series: the readings inside it, each sensor's extended by its edges. */
export function withEdges(inside: Map<string, Sample[]>, edges: readonly StayEdge[]): Map<string, Sample[]> {
  for (const e of edges) {
    const list = inside.get(e.sensorId)!;
    if (e.before) list.unshift(e.before);
    if (e.after) list.push(e.after);
  }
  return inside;
}

/** `CustodyMktReads` over a database: the stays' ranges only. */
export function custodyMktReads(db: Kysely<Database>): CustodyMktReads {
  return {
    lotStays: (lotId) => lotStays(db, lotId),
    async staySeries(stay) {
      const inside = await stayRange(db, stay);
      return withEdges(inside, await stayEdges(db, stay, [...inside.keys()]));
    },
  };
}

/**
 * The lot's MKT over its custody so far (domain/lot-mkt.ts `custodyMkt`): its custody timeline (`lotStays`)
 * and, stay by stay, the readings taken there while its units were there. Reads only the stays' ranges.
 */
export function lotCustodyMkt(db: Kysely<Database>, lotId: string): Promise<number | null> {
  return custodyMktOver(custodyMktReads(db), lotId);
}

/** `lotCustodyMkt` over any `CustodyMktReads` (the assessment cache records them, lot-assessment-cache.ts). */
export async function custodyMktOver(reads: CustodyMktReads, lotId: string): Promise<number | null> {
  const stays = [];
  for (const stay of await reads.lotStays(lotId)) stays.push({ stay, series: await reads.staySeries(stay) });
  return custodyMkt(stays);
}
