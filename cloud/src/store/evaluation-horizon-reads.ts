import type { TempLimits } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { HorizonFacts } from '../domain/evaluation-horizon.js';
import { inRangeNeighbours } from '../domain/in-range-neighbours.js';
import { bucketStart, ROLLUP_RESOLUTIONS } from '../domain/reading-rollups.js';
import type { SpecVersion } from '../domain/spec-versions.js';
import type { DomainDatabase } from './schema.js';
import { windowReads } from './window-reads.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

/** The end of the location's latest deletion span (`reading_deletion_spans`, 0036), if it has any. */
export async function deletedUntil(db: Db, locationId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('reading_deletion_spans')
    .select((eb) => eb.fn.max('to_ts').as('to'))
    .where('location_id', '=', locationId)
    .executeTakeFirst();
  return row?.to === null || row?.to === undefined ? undefined : Number(row.to);
}

/**
 * What `horizonOf` decides from (domain/evaluation-horizon.ts), under these limit versions (a timeline),
 * or undefined when none of the location's readings were deleted.
 */
export async function horizonFacts(
  db: Db,
  locationId: string,
  line: readonly SpecVersion<TempLimits>[],
): Promise<HorizonFacts | undefined> {
  const until = await deletedUntil(db, locationId);
  if (until === undefined) return undefined;
  const archives = (
    await db
      .selectFrom('reading_deletion_spans')
      .select('archive_id')
      .distinct()
      .where('location_id', '=', locationId)
      .orderBy('archive_id')
      .execute()
  ).map((r) => r.archive_id);
  const reads = windowReads(db);
  const after = (await sensorsAfter(db, locationId, until)).map((id): [string, number] => [id, until]);
  const anchors = await inRangeNeighbours(reads, locationId, line, new Map(after), 'after');
  const excursions = (
    await db
      .selectFrom('excursions')
      .select(['start_ts', 'end_ts', 'last_ts'])
      .where('location_id', '=', locationId)
      .execute()
  ).map((e) => ({
    start_ts: Number(e.start_ts),
    end_ts: e.end_ts === null ? null : Number(e.end_ts),
    last_ts: Number(e.last_ts),
  }));
  return { deletedUntil: until, archives, anchors, excursions };
}

/**
 * The sensors with a stored reading at the location after `ts`. Candidates come from the hourly rollups
 * (indexed by location: a distinct over the raw readings since the deletion, years of them, would stall a
 * signed correction), each confirmed on the readings; a sensor that reported only unknown values since is
 * not among them (it has no anchor: its series is not evaluated, domain/location-evaluation.ts).
 */
async function sensorsAfter(db: Db, locationId: string, ts: number): Promise<string[]> {
  const candidates = await db
    .selectFrom('reading_rollups')
    .select('sensor_id')
    .distinct()
    .where('location_id', '=', locationId)
    .where('resolution', '=', '1h')
    .where('bucket_start', '>=', bucketStart(ts + 1, ROLLUP_RESOLUTIONS['1h']))
    .orderBy('sensor_id')
    .execute();
  const out: string[] = [];
  for (const { sensor_id } of candidates) {
    const after = await db
      .selectFrom('readings')
      .select('ts')
      .where('sensor_id', '=', sensor_id)
      .where('location_id', '=', locationId)
      .where('ts', '>', ts)
      .limit(1)
      .executeTakeFirst();
    if (after) out.push(sensor_id);
  }
  return out;
}
