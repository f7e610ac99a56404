import type SqliteDatabase from 'better-sqlite3';
import type { KeyValues } from './keyset.js';
import type { ReadingListQuery } from './list-readings.js';
import type { RowJsonTemplate } from './row-json-template.js';

// After the cursor (ts, gateway id, seq) in the order of the ids, whatever their keys.
const AFTER = ` AND (ts > @ts OR (ts = @ts AND (gateway_key IN
  (SELECT key FROM gateway_keys WHERE id > @gateway) OR (gateway_key = (SELECT key FROM gateway_keys WHERE id = @gateway) AND seq > @seq))))`;

/** The JSON of a REAL value as JavaScript writes it (`JSON.stringify`), for the few values outside 0.01 units. */
const JSON_NUMBER = 'coldtrace_json_number';
const withJsonNumber = new WeakSet<SqliteDatabase.Database>();

// A value's JSON: the fallback column as JavaScript writes it, else the 0.01 integer `c` as JavaScript writes
// `c / 100` (what the view `readings` gives, migration 0043): SQLite writes a whole number as an integer and
// the others with 15 significant digits, which for |c| <= 32767 are JavaScript's shortest digits. Tested
// against JSON.stringify for every c. (`||` binds tighter than `/` and `%` in SQLite: hence the parentheses.)
export const centiJson = (c: string) =>
  `(CASE WHEN (${c} % 100) = 0 THEN (${c} / 100) ELSE (${c} / 100.0) END)`;
const valueJson = (x: string, c: string) =>
  `CASE WHEN ${x} IS NOT NULL THEN ${JSON_NUMBER}(${x}) WHEN ${c} IS NULL THEN 'null' ELSE ${centiJson(c)} END`;

/**
 * One page of a sensor's readings on SQLite as the JSON of its rows (`[…]`, each row as
 * `JSON.stringify(view(row))` writes it: `template`) and the next cursor, read from `reading_rows` rather
 * than through the view `readings` (docs/performance.md "One sensor's readings on SQLite"). The sensor's
 * key filters the rows of its locations' ranges (location_sensors); the statement writes each row's JSON
 * from the integer columns and ids JSON-quoted once per page, so no row becomes an object. The view orders
 * a time's rows by gateway id, which needs a sort; the clustered key orders them by gateway key, the same
 * order when the keys of the gateways that relayed the sensor rise with their ids (one gateway always):
 * then each location's range is read in order and several are merged (`UNION ALL … ORDER BY`, no sort).
 * Undefined otherwise, or when a row's gateway or quality is not among those known: the caller reads the
 * view. Synchronous: run it holding Kysely's connection, so it never reads inside a transaction that is
 * awaiting on the same handle.
 */
export function sqliteSensorPage(
  sqlite: SqliteDatabase.Database,
  q: ReadingListQuery & { sensorId: string },
  template: RowJsonTemplate,
): { json: string; next: KeyValues | null } | undefined {
  const sensor = sqlite.prepare('SELECT key FROM sensor_keys WHERE id = ?').pluck().get(q.sensorId);
  const locations = sqlite
    .prepare(
      `SELECT DISTINCT l.key, l.id FROM location_sensors s JOIN location_keys l ON l.id = s.location_id
       WHERE s.sensor_id = ?`,
    )
    .raw()
    .all(q.sensorId) as Array<[number, string]>;
  if (sensor === undefined || locations.length === 0) return { json: '[]', next: null };
  const relays = sqlite
    .prepare(
      `SELECT DISTINCT g.key, g.id FROM location_sensors s JOIN gateway_keys g ON g.id = s.gateway_id
       WHERE s.sensor_id = ? ORDER BY g.id`,
    )
    .raw()
    .all(q.sensorId) as Array<[number, string]>;
  if (relays.some(([key], i) => i > 0 && key < relays[i - 1]![0])) return undefined;
  const qualities = sqlite.prepare('SELECT key, id FROM quality_keys').raw().all() as Array<[number, string]>;
  if (!withJsonNumber.has(sqlite)) {
    sqlite.function(JSON_NUMBER, { deterministic: true }, (v) => JSON.stringify(v));
    withJsonNumber.add(sqlite);
  }

  const page = sensorPageStatement(sensor as number, locations, q, {
    template,
    relays,
    qualities,
    sensor: q.sensorId,
  });
  const rows = sqlite.prepare(page.sql).pluck().all(page.params) as Array<string | null>;
  // NULL: a gateway or quality not known above.
  if (rows.includes(null)) return undefined;
  const items = rows.length > q.limit ? rows.slice(0, q.limit) : rows;
  let next: KeyValues | null = null;
  if (rows.length > q.limit) {
    const last = JSON.parse(items[items.length - 1]!) as Record<string, string | number>;
    const of = (c: string) => last[template.names[template.columns.indexOf(c as never)]!]!;
    next = [of('ts'), of('gateway_id'), of('seq')];
  }
  return { json: `[${items.join(',')}]`, next };
}

/** What a page's statement writes: the rows' JSON, from these ids. */
interface RowJson {
  template: RowJsonTemplate;
  /** Gateway and quality keys with their ids; the sensor's id. */
  relays: ReadonlyArray<[number, string]>;
  qualities: ReadonlyArray<[number, string]>;
  sensor: string;
}

/**
 * The statement of a page of the sensor `sensorKey` over its `locations` (key, id): one range of the
 * clustered key each, merged in key order; with `json`, each row's JSON (else its key columns), and its
 * named parameters.
 */
export function sensorPageStatement(
  sensorKey: number,
  locations: ReadonlyArray<[number, string]>,
  q: Pick<ReadingListQuery, 'fromTs' | 'toTs' | 'after' | 'limit'>,
  json?: RowJson,
): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { sensor: sensorKey, limit: q.limit + 1 };
  // One lower bound of ts (the later of `from` and the cursor's time), so the range starts there.
  const [ts, gateway, seq] = q.after ?? [];
  const from = Math.max(q.fromTs ?? Number.NEGATIVE_INFINITY, Number(ts ?? Number.NEGATIVE_INFINITY));
  let where = '';
  if (from !== Number.NEGATIVE_INFINITY) {
    where += ' AND ts >= @from';
    params.from = from;
  }
  if (q.toTs !== undefined) {
    where += ' AND ts < @to';
    params.to = q.toTs;
  }
  if (q.after) {
    where += AFTER;
    Object.assign(params, { ts, gateway, seq });
  }
  const bind = (name: string, value: unknown) => {
    params[name] = value;
    return `@${name}`;
  };
  const idCase = (column: string, name: string, ids: ReadonlyArray<[number, string]>) =>
    `CASE ${column} ${ids.map(([key, id], i) => `WHEN ${bind(`${name}k${i}`, key)} THEN ${bind(`${name}j${i}`, JSON.stringify(id))}`).join(' ')} END`;
  const rowJson = (at: number) => {
    if (!json) return 'NULL';
    const value: Record<string, string> = {
      gateway_id: idCase('gateway_key', 'g', json.relays),
      seq: 'seq',
      sensor_id: bind('sensorJson', JSON.stringify(json.sensor)),
      location_id: bind(`l${at}j`, JSON.stringify(locations[at]![1])),
      ts: 'ts',
      temp_c: valueJson('temp_x', 'temp_cc'),
      rh: valueJson('rh_x', 'rh_cc'),
      quality: idCase('quality_key', 'q', json.qualities),
      received_at: '(ts + received_lag)',
    };
    const { parts, columns } = json.template;
    return (
      columns.map((c, i) => `${bind(`p${i}`, parts[i])} || ${value[c]} || `).join('') +
      bind('pEnd', parts[columns.length])
    );
  };
  const arms = locations.map(([key], i) => {
    params[`l${i}`] = key;
    return `SELECT ${rowJson(i)} AS json, ts, gateway_key, seq FROM reading_rows
      WHERE location_key = @l${i} AND sensor_key = @sensor${where}`;
  });
  return { sql: `${arms.join(' UNION ALL ')} ORDER BY ts, gateway_key, seq LIMIT @limit`, params };
}
