import type { Reading } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { centi, centiFallback } from '../domain/centi-values.js';
import type { ReadingsTable } from './schema/ingest-tables.js';
import type { Database } from './schema.js';

// SQLite's readings as compact rows (migration 0043): integer keys into four dictionaries, values in 0.01
// units where exact. Reads go through the view `readings`; writes that count their rows come here, since
// SQLite counts no change made by a view's INSTEAD OF trigger (and refuses ON CONFLICT on a view).

/** The dictionaries of `reading_rows`' keys, by the column of `readings` each one encodes. */
export const READING_KEY_TABLES = {
  gateway_id: 'gateway_keys',
  sensor_id: 'sensor_keys',
  location_id: 'location_keys',
  quality: 'quality_keys',
} as const;
type KeyColumn = keyof typeof READING_KEY_TABLES;

/** An id's key is made once; the statement for one id, `?` its id. */
export const keyInsertSql = (column: KeyColumn) =>
  `INSERT INTO ${READING_KEY_TABLES[column]} (id) VALUES (?) ON CONFLICT (id) DO NOTHING`;

const key = (column: KeyColumn) => `(SELECT key FROM ${READING_KEY_TABLES[column]} WHERE id = ?)`;

/**
 * One reading's insert, its keys found by id (made before by `keyInsertSql`): `changes` is 0 when its
 * (gateway, seq) is taken. Parameters: `readingRowParams`.
 */
export const READING_ROW_INSERT = `INSERT INTO reading_rows (location_key, ts, gateway_key, seq, sensor_key,
    quality_key, received_lag, temp_cc, temp_x, rh_cc, rh_x)
  VALUES (${key('location_id')}, ?, ${key('gateway_id')}, ?, ${key('sensor_id')}, ${key('quality')}, ?, ?, ?, ?, ?)
  ON CONFLICT (gateway_key, seq) DO NOTHING`;

/** The parameters of READING_ROW_INSERT (`received_lag`: arrival in ms after the reading's time). */
function rowParams(
  gatewayId: string,
  seq: number,
  r: { sensorId: string; locationId: string; ts: number; quality: string },
  tempC: number | null,
  rh: number | null,
  receivedAt: number,
): unknown[] {
  return [
    r.locationId,
    r.ts,
    gatewayId,
    seq,
    r.sensorId,
    r.quality,
    receivedAt - r.ts,
    centi(tempC),
    centiFallback(tempC),
    centi(rh),
    centiFallback(rh),
  ];
}

/** The parameters of READING_ROW_INSERT for a row of `readings`. */
export function readingRowParams(r: ReadingsTable): unknown[] {
  const reading = { sensorId: r.sensor_id, locationId: r.location_id, ts: r.ts, quality: r.quality };
  return rowParams(r.gateway_id, r.seq, reading, r.temp_c, r.rh, r.received_at);
}

/** Each distinct id of `rows` with the column it encodes (`keyInsertSql` makes the key of a new one). */
function newKeyIds(rows: readonly ReadingsTable[]): Array<[KeyColumn, string]> {
  const out: Array<[KeyColumn, string]> = [];
  for (const column of Object.keys(READING_KEY_TABLES) as KeyColumn[]) {
    for (const id of new Set(rows.map((r) => r[column]))) out.push([column, id]);
  }
  return out;
}

/**
 * The compact rows' statements on a better-sqlite3 handle, for ingest's insert loop (positional
 * parameters, no row objects); undefined on a schema from before 0043.
 */
export function preparedReadingRows(sqlite: SqliteDatabase.Database) {
  const compact = sqlite.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reading_rows'",
  );
  if (!compact.get()) return undefined;
  const row = sqlite.prepare(READING_ROW_INSERT);
  const keys = {
    gateway: sqlite.prepare(keyInsertSql('gateway_id')),
    sensor: sqlite.prepare(keyInsertSql('sensor_id')),
    location: sqlite.prepare(keyInsertSql('location_id')),
    quality: sqlite.prepare(keyInsertSql('quality')),
  };
  return {
    /** Makes the keys of a gateway's readings, once per distinct id, before their rows are inserted. */
    ensureKeys(gatewayId: string, readings: readonly Reading[]): void {
      keys.gateway.run(gatewayId);
      for (const id of new Set(readings.map((r) => r.sensorId))) keys.sensor.run(id);
      for (const id of new Set(readings.map((r) => r.locationId))) keys.location.run(id);
      for (const id of new Set(readings.map((r) => r.quality))) keys.quality.run(id);
    },
    /** One reading's row: `changes` (0 when its (gateway, seq) is taken). */
    insert(gatewayId: string, seq: number, r: Reading, receivedAt: number): number {
      return row.run(...rowParams(gatewayId, seq, r, r.tempC, r.rh ?? null, receivedAt)).changes;
    },
  };
}

/** Inserts `rows` whose (gateway, seq) is free, in a transaction of the caller's; returns the seqs stored. */
export async function insertSqliteReadings(
  db: Kysely<Database>,
  rows: readonly ReadingsTable[],
): Promise<number[]> {
  for (const [column, id] of newKeyIds(rows)) await bound(keyInsertSql(column), [id]).execute(db);
  const stored: number[] = [];
  for (const r of rows) {
    const done = await bound(READING_ROW_INSERT, readingRowParams(r)).execute(db);
    if (Number(done.numAffectedRows ?? 0) > 0) stored.push(Number(r.seq));
  }
  return stored;
}

/** Deletes one gateway's readings by seq; returns how many were stored. */
export async function deleteSqliteReadings(
  db: Kysely<Database>,
  gatewayId: string,
  seqs: readonly number[],
): Promise<number> {
  const r = await sql`DELETE FROM reading_rows
    WHERE gateway_key = (SELECT key FROM gateway_keys WHERE id = ${gatewayId})
      AND seq IN (${sql.join(seqs)})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** A statement with `?` placeholders as Kysely SQL with bound values (the prepared statements' text). */
function bound(text: string, params: readonly unknown[]) {
  const parts = text.split('?');
  return sql(Object.assign(parts, { raw: parts }) as unknown as TemplateStringsArray, ...params);
}
