import type { Sample } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { LotReads } from '../domain/exposure-reads.js';
import { lockSubject } from '../domain/locks/lock-subject.js';
import type { ProductSpec } from '../domain/product-specs.js';
import { sensorSpanAt } from './location-sensors.js';
import { nearestReading } from './queries/nearest-reading.js';
import type { DomainDatabase } from './schema.js';
import { specsInForce } from './spec-version-repo.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/** Rows per IN list (SQLite bound-parameter limit). */
const CHUNK = 500;

async function inChunks<T>(list: readonly string[], read: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const sorted = [...new Set(list)].sort();
  const out: T[] = [];
  for (let i = 0; i < sorted.length; i += CHUNK) out.push(...(await read(sorted.slice(i, i + CHUNK))));
  return out;
}

/** `LotReads` (the domain's exposure and lot-assessment port) over a database or a transaction. */
export function lotReads(db: Db): LotReads {
  return {
    async commissioned(epcs) {
      const rows = await inChunks(epcs, (c) =>
        db
          .selectFrom('epcs')
          .innerJoin('lots', 'lots.id', 'epcs.lot_id')
          .leftJoin('products', 'products.gtin', 'lots.gtin')
          .select([
            'epcs.epc as epc',
            'lots.id as lot_id',
            'lots.gtin as gtin',
            'products.cumulative_rules as rules',
          ])
          .where('epcs.epc', 'in', c)
          .orderBy('epcs.epc')
          .execute(),
      );
      return rows.map((r) => ({ epc: r.epc, lotId: r.lot_id, gtin: r.gtin, rulesJson: r.rules ?? null }));
    },
    async stays(epcs) {
      const rows = await inChunks(epcs, (c) =>
        db
          .selectFrom('custody')
          .select(['epc', 'location_id', 'entered_at', 'left_at'])
          .where('epc', 'in', c)
          .orderBy('epc')
          .orderBy('entered_at')
          .execute(),
      );
      return rows.sort((a, b) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : a.entered_at - b.entered_at));
    },
    seriesOver: (locationId, from, to) => seriesOver(db, locationId, from, to),
    productVersions: (gtin) => specsInForce<ProductSpec>(db, 'product', gtin),
    async lotGtin(lotId) {
      return (await db.selectFrom('lots').select('gtin').where('id', '=', lotId).executeTakeFirst())?.gtin;
    },
    product(gtin) {
      return db
        .selectFrom('products')
        .select(['gtin', 'name', 'min_c', 'max_c', 'stability_budget_ms', 'cumulative_rules'])
        .where('gtin', '=', gtin)
        .executeTakeFirst();
    },
    async unitsOfLot(lotId) {
      return (
        await db.selectFrom('epcs').select('epc').where('lot_id', '=', lotId).orderBy('epc').execute()
      ).map((r) => r.epc);
    },
    async locks(epcs) {
      const rows = await inChunks(epcs, (c) =>
        db
          .selectFrom('locks')
          .select(['epc', 'rule_key', 'cause', 'state', 'location_id', 'exposed_from', 'exposed_to'])
          .where('state', '!=', 'lifted')
          .where('epc', 'in', c)
          .execute(),
      );
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return rows
        .map(({ rule_key, ...r }) => ({ ...r, subject: lockSubject(r.cause, rule_key) }))
        .sort((a, b) => cmp(a.subject, b.subject) || cmp(a.epc, b.epc));
    },
    whereNow(epcs) {
      return inChunks(epcs, (c) =>
        db
          .selectFrom('custody')
          .select(['epc', 'location_id'])
          .where('left_at', 'is', null)
          .where('epc', 'in', c)
          .orderBy('epc')
          .execute(),
      );
    },
  };
}

/** One sensor's part of `seriesOver`: its readings at the location with `ts` in `[lo, hi]` (null = unbounded). */
export interface SensorBounds {
  sensorId: string;
  lo: number;
  hi: number | null;
}

/**
 * Per sensor, the readings of a location that decide what its air did over `[from, to)` (`to` null =
 * open-ended): from the sensor's last *known* reading before `from` (the one holding when a unit entered;
 * an unknown reading sets no state of its own) to its first reading at or after `to` (so the last reading
 * inside the span holds until then). Sensors with no reading at or after `from` say nothing about the
 * span (their last reading holds no time) and are left out.
 */
async function seriesOver(
  db: Db,
  locationId: string,
  from: number,
  to: number | null,
): Promise<Map<string, Sample[]>> {
  return seriesIn(db, locationId, await seriesBounds(db, locationId, from, to));
}

/** The bounds of `seriesOver`: which sensors and, per sensor, which span of its readings. */
async function seriesBounds(
  db: Db,
  locationId: string,
  from: number,
  to: number | null,
): Promise<SensorBounds[]> {
  const out: SensorBounds[] = [];
  for (const sensorId of await sensorsSince(db, locationId, from))
    out.push(await sensorBounds(db, locationId, sensorId, from, to));
  return out;
}

/**
 * The sensors of `seriesOver`: those with a reading at the location at or after `from`, sorted, read from
 * the readings (the location's history since `from`). The lot assessment cache checks this set against
 * `location_sensors` instead (location-sensors.ts).
 */
export async function sensorsSince(db: Db, locationId: string, from: number): Promise<string[]> {
  let sq = db.selectFrom('readings').select('sensor_id').distinct().where('location_id', '=', locationId);
  if (Number.isFinite(from)) sq = sq.where('ts', '>=', from);
  return (await sq.execute()).map((r) => r.sensor_id).sort();
}

const sensorRows = (db: Db, locationId: string, sensorId: string) =>
  db
    .selectFrom('readings')
    .select('ts')
    .where('sensor_id', '=', sensorId)
    .where('location_id', '=', locationId);

/** One sensor's span of `seriesOver`: two point lookups around `[from, to)` (`nearestReading`). */
export async function sensorBounds(
  db: Db,
  locationId: string,
  sensorId: string,
  from: number,
  to: number | null,
): Promise<SensorBounds> {
  const span = () => sensorSpanAt(db, locationId, sensorId);
  let lo = from;
  if (Number.isFinite(from)) {
    const before = await nearestReading(
      sensorRows(db, locationId, sensorId).where('temp_c', 'is not', null),
      '<',
      from,
      span,
    );
    if (before) lo = before.ts;
  }
  let hi: number | null = null;
  if (to !== null && Number.isFinite(to)) {
    const after = await nearestReading(sensorRows(db, locationId, sensorId), '>=', to, span);
    hi = after?.ts ?? null;
  }
  return { sensorId, lo, hi };
}

/** A sensor's readings at a location within its bounds (the rows `seriesIn` reads, `countInBounds` counts). */
function inBounds(db: Db, locationId: string, b: SensorBounds) {
  let q = db.selectFrom('readings').where('sensor_id', '=', b.sensorId).where('location_id', '=', locationId);
  if (Number.isFinite(b.lo)) q = q.where('ts', '>=', b.lo);
  if (b.hi !== null) q = q.where('ts', '<=', b.hi);
  return q;
}

/** The readings within each sensor's bounds, by sensor, in time order. */
export async function seriesIn(
  db: Db,
  locationId: string,
  bounds: readonly SensorBounds[],
): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>();
  for (const b of bounds) {
    const rows = await inBounds(db, locationId, b).select(['ts', 'temp_c']).orderBy('ts').execute();
    out.set(
      b.sensorId,
      rows.map((r) => ({ ts: r.ts, tempC: r.temp_c })),
    );
  }
  return out;
}

/** How many readings lie within a sensor's bounds (the cache check of `seriesIn`, lot-assessment-cache.ts). */
export async function countInBounds(db: Db, locationId: string, b: SensorBounds): Promise<number> {
  const r = await inBounds(db, locationId, b)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
