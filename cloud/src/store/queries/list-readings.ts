import type SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { onPostgres } from '../pg-arrays.js';
import { READINGS_COLUMNS } from '../schema/ingest-tables.js';
import type { Database, ReadingsTable } from '../schema.js';
import type { KeyValues } from './keyset.js';
import { inRecordTimeOrder, recordPage } from './record-time-order.js';
import { rowJsonTemplate } from './row-json-template.js';
import { sqliteSensorPage } from './sqlite-sensor-readings.js';

export interface ReadingListQuery {
  gatewayId?: string | undefined;
  locationId?: string | undefined;
  sensorId?: string | undefined;
  /** Readings taken at or after (ms). */
  fromTs?: number | undefined;
  /** Readings taken before (ms). */
  toTs?: number | undefined;
  /**
   * The locations whose readings hold `sensorId`'s (set by `pageReadingsJson` on SQLite, whose only index of
   * readings is (location, ts): migration 0043).
   */
  sensorLocations?: readonly string[] | undefined;
  /** The last row of the previous page: (ts, gateway id, seq). */
  after?: KeyValues | undefined;
  limit: number;
}

/** The cursor's types, for `decodePageCursor`. */
export const READING_CURSOR_SHAPE = ['n', 's', 'n'] as const;

/**
 * The query of one page of readings after `after` in time order (`inRecordTimeOrder`: the
 * `(location_id, ts)` and `(sensor_id, ts)` indexes serve a filtered page from its cursor on).
 */
export function readingPageQuery(db: Kysely<Database>, q: ReadingListQuery) {
  let s = db.selectFrom('readings').select(READINGS_COLUMNS);
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.sensorId) s = s.where('sensor_id', '=', q.sensorId);
  const at = q.sensorLocations;
  if (at?.length === 0) s = s.where(sql<boolean>`1 = 0`);
  else if (at) s = at.length === 1 ? s.where('location_id', '=', at[0]!) : s.where('location_id', 'in', at);
  if (q.fromTs !== undefined) s = s.where('ts', '>=', q.fromTs);
  if (q.toTs !== undefined) s = s.where('ts', '<', q.toTs);
  return inRecordTimeOrder(s, q.after, q.limit);
}

/**
 * One page of readings in time order (docs/architecture.md "Lists and paging") as the JSON text of its
 * rows (`[…]`), each as `JSON.stringify(view(row))` writes it, the numbers as numbers, and the next cursor.
 * `sqlite`: the better-sqlite3 handle under `db`, where a sensor's pages write their JSON in the statement
 * that reads `reading_rows` (`sqliteSensorPage`).
 */
export async function pageReadingsJson(
  db: Kysely<Database>,
  q: ReadingListQuery,
  view: (r: ReadingsTable) => unknown,
  sqlite?: SqliteDatabase.Database,
): Promise<{ json: string; next: KeyValues | null }> {
  // A sensor's readings on SQLite: its locations' index ranges, so one location's is read in time order.
  if (q.sensorId && q.locationId === undefined && !onPostgres(db)) {
    const sensorId = q.sensorId;
    const template = rowJsonTemplate(view);
    if (sqlite && template && q.gatewayId === undefined) {
      const page = await db
        .connection()
        .execute(async () => sqliteSensorPage(sqlite, { ...q, sensorId }, template));
      if (page) return page;
    }
    const at = await db
      .selectFrom('location_sensors')
      .select('location_id')
      .distinct()
      .where('sensor_id', '=', sensorId)
      .execute();
    q = { ...q, sensorLocations: at.map((r) => r.location_id) };
  }
  const page = recordPage(await readingPageQuery(db, q).execute(), q.limit);
  return { json: JSON.stringify(page.items.map(view)), next: page.next };
}
