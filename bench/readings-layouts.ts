import { READING_QUALITIES, type Reading } from '@coldtrace/shared';
import { centi, centiFallback } from '../cloud/src/domain/centi-values.js';

export { centi };

/**
 * Candidate layouts of `readings` measured by `npm run bench -- readings-layout` (issue 18 item 3,
 * docs/performance.md "Readings layout candidates"). `current` is migration 0001's table; every other
 * row layout stores integer keys of small dictionaries (gateways, sensors, locations, or sensor/location
 * pairs as channels) and the temperature as 0.01 °C where that reads back bit-identical, with a
 * `double precision` fallback column; a view named `readings` gives the text ids and values back, so the
 * bench's queries are the shipped ones. `blocks` packs a gateway's readings of one channel and hour into
 * one row of arrays (size only: no view).
 */
export interface StoredReading extends Reading {
  gatewayId: string;
  receivedAt: number;
}

export type Store = 'sqlite' | 'postgres';

/** Integer keys of the dictionaries, assigned in first-seen order as ingest would. */
export class Keys {
  readonly gateways = new Map<string, number>();
  readonly sensors = new Map<string, number>();
  readonly locations = new Map<string, number>();
  /** `${sensorId}\u0000${locationId}` → key. */
  readonly channels = new Map<string, number>();
  of(map: Map<string, number>, id: string): number {
    const k = map.get(id);
    if (k !== undefined) return k;
    map.set(id, map.size + 1);
    return map.size;
  }
  channel(r: StoredReading): number {
    return this.of(this.channels, `${r.sensorId}\u0000${r.locationId}`);
  }
}

const exactFallback = centiFallback;

interface Column {
  name: string;
  sqlite: string;
  pg: string;
  of: (r: StoredReading, k: Keys) => unknown;
}
export interface RowLayout {
  name: string;
  columns: Column[];
  /** Primary key columns; the index statements after the table (`reading_rows`, or `readings` for `current`). */
  pk: string[];
  indexes: string[];
  withoutRowid?: boolean;
  /** The `readings` view over `reading_rows` and the dictionaries; none for `current`. */
  view?: string;
}

const col = (name: string, sqlite: string, pg: string, of: Column['of']): Column => ({
  name,
  sqlite,
  pg,
  of,
});
const quality = col('quality', 'integer NOT NULL', 'int2 NOT NULL', (r) =>
  READING_QUALITIES.indexOf(r.quality),
);
const tempCc = col('temp_cc', 'integer', 'int2', (r) => centi(r.tempC));
const tempX = col('temp_x', 'double precision', 'float8', (r) => exactFallback(r.tempC));
const rhCc = col('rh_cc', 'integer', 'int2', (r) => centi(r.rh));
const rhX = col('rh_x', 'double precision', 'float8', (r) => exactFallback(r.rh));
// bigint columns first, then the 2-byte ones: PostgreSQL aligns each column to its own size.
const seq = col('seq', 'integer NOT NULL', 'int8 NOT NULL', (r) => r.seq);
const ts = col('ts', 'integer NOT NULL', 'int8 NOT NULL', (r) => r.ts);
const receivedAt = col('received_at', 'integer NOT NULL', 'int8 NOT NULL', (r) => r.receivedAt);
const gw = col('gw', 'integer NOT NULL', 'int2 NOT NULL', (r, k) => k.of(k.gateways, r.gatewayId));
const sensor = col('sensor', 'integer NOT NULL', 'int2 NOT NULL', (r, k) => k.of(k.sensors, r.sensorId));
const location = col('location', 'integer NOT NULL', 'int2 NOT NULL', (r, k) =>
  k.of(k.locations, r.locationId),
);
const channel = col('channel', 'integer NOT NULL', 'int2 NOT NULL', (r, k) => k.channel(r));
const values = [tempCc, quality, rhCc, tempX, rhX];

const decoded = `COALESCE(r.temp_x, r.temp_cc / CAST(100 AS double precision)) AS temp_c,
  COALESCE(r.rh_x, r.rh_cc / CAST(100 AS double precision)) AS rh, q.name AS quality, r.received_at`;
const byKeys = `CREATE VIEW readings AS SELECT g.id AS gateway_id, r.seq, s.id AS sensor_id, l.id AS location_id, r.ts,
  ${decoded}, r.location AS location_key FROM reading_rows r JOIN gateway_keys g ON g.key = r.gw JOIN sensor_keys s ON s.key = r.sensor
  JOIN location_keys l ON l.key = r.location JOIN quality_keys q ON q.key = r.quality`;
const byChannel = `CREATE VIEW readings AS SELECT g.id AS gateway_id, r.seq, c.sensor_id, c.location_id, r.ts,
  ${decoded}, r.channel AS channel_key FROM reading_rows r JOIN gateway_keys g ON g.key = r.gw JOIN channel_keys c ON c.key = r.channel
  JOIN quality_keys q ON q.key = r.quality`;
const index = (name: string, cols: string) => `CREATE INDEX ${name} ON reading_rows (${cols})`;

export const ROW_LAYOUTS: RowLayout[] = [
  {
    name: 'current',
    columns: [
      col('gateway_id', 'text NOT NULL', 'text NOT NULL', (r) => r.gatewayId),
      col('seq', 'bigint NOT NULL', 'bigint NOT NULL', (r) => r.seq),
      col('sensor_id', 'text NOT NULL', 'text NOT NULL', (r) => r.sensorId),
      col('location_id', 'text NOT NULL', 'text NOT NULL', (r) => r.locationId),
      col('ts', 'bigint NOT NULL', 'bigint NOT NULL', (r) => r.ts),
      col('temp_c', 'double precision', 'float8', (r) => r.tempC),
      col('rh', 'double precision', 'float8', (r) => r.rh ?? null),
      col('quality', 'text NOT NULL', 'text NOT NULL', (r) => r.quality),
      col('received_at', 'bigint NOT NULL', 'bigint NOT NULL', (r) => r.receivedAt),
    ],
    pk: ['gateway_id', 'seq'],
    indexes: [
      'CREATE INDEX readings_location_ts ON readings (location_id, ts)',
      'CREATE INDEX readings_sensor_ts ON readings (sensor_id, ts)',
    ],
  },
  {
    // Integer keys, the same three indexes.
    name: 'keys',
    columns: [seq, ts, receivedAt, gw, sensor, location, ...values],
    pk: ['gw', 'seq'],
    indexes: [index('rr_location_ts', 'location, ts'), index('rr_sensor_ts', 'sensor, ts')],
    view: byKeys,
  },
  {
    // Integer keys, SQLite's table clustered on its primary key (no rowid, no separate key index).
    name: 'keys-clustered',
    columns: [seq, ts, receivedAt, gw, sensor, location, ...values],
    pk: ['gw', 'seq'],
    indexes: [index('rr_location_ts', 'location, ts'), index('rr_sensor_ts', 'sensor, ts')],
    withoutRowid: true,
    view: byKeys,
  },
  {
    // One index by location; a sensor's readings would be read through its locations' index ranges.
    name: 'location-index',
    columns: [seq, ts, receivedAt, gw, sensor, location, ...values],
    pk: ['gw', 'seq'],
    indexes: [index('rr_location_ts', 'location, ts')],
    withoutRowid: true,
    view: byKeys,
  },
  {
    // One index by channel (sensor at location): a sensor's range is one channel's, a location's is its
    // channels' ranges merged by time.
    name: 'channel-index',
    columns: [seq, ts, receivedAt, gw, channel, ...values],
    pk: ['gw', 'seq'],
    indexes: [index('rr_channel_ts', 'channel, ts')],
    withoutRowid: true,
    view: byChannel,
  },
];

/** The dictionaries the views join (`quality_keys` holds the reading qualities in their order). */
export function dictionaryStatements(store: Store): string[] {
  const small = store === 'sqlite' ? 'integer' : 'int2';
  return [
    `CREATE TABLE gateway_keys (key ${small} PRIMARY KEY, id text NOT NULL UNIQUE)`,
    `CREATE TABLE sensor_keys (key ${small} PRIMARY KEY, id text NOT NULL UNIQUE)`,
    `CREATE TABLE location_keys (key ${small} PRIMARY KEY, id text NOT NULL UNIQUE)`,
    `CREATE TABLE channel_keys (key ${small} PRIMARY KEY, sensor_id text NOT NULL, location_id text NOT NULL, UNIQUE (sensor_id, location_id))`,
    'CREATE INDEX channel_keys_location ON channel_keys (location_id)',
    `CREATE TABLE quality_keys (key ${small} PRIMARY KEY, name text NOT NULL UNIQUE)`,
  ];
}

/** Rows of the dictionaries for the keys assigned so far: [table, key, ...values]. */
export function dictionaryRows(k: Keys): Array<[string, number, ...string[]]> {
  const rows: Array<[string, number, ...string[]]> = [];
  for (const [id, key] of k.gateways) rows.push(['gateway_keys', key, id]);
  for (const [id, key] of k.sensors) rows.push(['sensor_keys', key, id]);
  for (const [id, key] of k.locations) rows.push(['location_keys', key, id]);
  for (const [pair, key] of k.channels) rows.push(['channel_keys', key, ...pair.split('\u0000')]);
  for (const [i, q] of READING_QUALITIES.entries()) rows.push(['quality_keys', i, q]);
  return rows;
}

/**
 * `blocks`: one row per gateway, channel and hour: the readings' seqs (int8), ts offsets in the hour (int4),
 * 0.01 °C (int2) and received times (int8) as arrays (PostgreSQL) or packed little-endian (SQLite).
 */
export interface Block {
  gw: number;
  channel: number;
  hour: number;
  seqs: number[];
  tsOffsets: number[];
  temps: number[];
  received: number[];
}

export function blockOf(blocks: Map<string, Block>, r: StoredReading, k: Keys): void {
  const hour = Math.floor(r.ts / 3_600_000);
  const b0 = { gw: k.of(k.gateways, r.gatewayId), channel: k.channel(r), hour };
  const key = `${b0.gw}/${b0.channel}/${hour}`;
  const b = blocks.get(key) ?? { ...b0, seqs: [], tsOffsets: [], temps: [], received: [] };
  blocks.set(key, b);
  b.seqs.push(r.seq);
  b.tsOffsets.push(r.ts - hour * 3_600_000);
  b.temps.push(centi(r.tempC) ?? -32768);
  b.received.push(r.receivedAt);
}

export function packedBlock(b: Block): Buffer {
  const n = b.seqs.length;
  const buf = Buffer.alloc(n * 22);
  for (let i = 0; i < n; i++) {
    buf.writeBigInt64LE(BigInt(b.seqs[i]!), i * 8);
    buf.writeInt32LE(b.tsOffsets[i]!, n * 8 + i * 4);
    buf.writeInt16LE(b.temps[i]!, n * 12 + i * 2);
    buf.writeBigInt64LE(BigInt(b.received[i]!), n * 14 + i * 8);
  }
  return buf;
}
