import { type Kysely, SqliteAdapter, sql } from 'kysely';
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
export const READING_ROW_INSERT = `INSERT INTO reading_rows (gateway_key, seq, sensor_key, location_key, ts,
    received_at, quality_key, temp_cc, temp_x, rh_cc, rh_x)
  VALUES (${key('gateway_id')}, ?, ${key('sensor_id')}, ${key('location_id')}, ?, ?, ${key('quality')}, ?, ?, ?, ?)
  ON CONFLICT (gateway_key, seq) DO NOTHING`;

/** The parameters of READING_ROW_INSERT for a row of `readings`. */
export function readingRowParams(r: ReadingsTable): unknown[] {
  return [
    r.gateway_id,
    r.seq,
    r.sensor_id,
    r.location_id,
    r.ts,
    r.received_at,
    r.quality,
    centi(r.temp_c),
    centiFallback(r.temp_c),
    centi(r.rh),
    centiFallback(r.rh),
  ];
}

/** Each id of `rows` that is not in its dictionary yet (once per distinct id). */
export function newKeyIds(rows: readonly ReadingsTable[]): Array<[KeyColumn, string]> {
  const out: Array<[KeyColumn, string]> = [];
  for (const column of Object.keys(READING_KEY_TABLES) as KeyColumn[]) {
    for (const id of new Set(rows.map((r) => r[column]))) out.push([column, id]);
  }
  return out;
}

/** Whether `db` is SQLite, whose readings are compact rows behind a view. */
export const isSqlite = (db: Kysely<Database>) => db.getExecutor().adapter instanceof SqliteAdapter;

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
