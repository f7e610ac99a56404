import type { TempLimits } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { HorizonFacts } from '../domain/evaluation-horizon.js';
import { inRangeNeighbour } from '../domain/location-evaluation.js';
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
  const anchors = new Map<string, number>();
  for (const sensorId of await reads.sensorsIn(locationId, until + 1, Number.POSITIVE_INFINITY))
    anchors.set(sensorId, await inRangeNeighbour(reads, locationId, line, sensorId, until, 'after'));
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
