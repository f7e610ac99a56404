import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

// SQLite's `c / 100.0` of the integer of `v` in 0.01 units, where that is `v` bit for bit (the same test as
// domain/centi-values.ts: JavaScript's and SQLite's rounding differ only at halves, which never pass).
const centi = (v: string) =>
  `CASE WHEN ${v} IS NOT NULL AND abs(round(${v} * 100)) <= 32767
     AND CAST(round(${v} * 100) AS INTEGER) / 100.0 = ${v} THEN CAST(round(${v} * 100) AS INTEGER) END`;
const fallback = (v: string) =>
  `CASE WHEN ${v} IS NOT NULL AND NOT (abs(round(${v} * 100)) <= 32767
     AND CAST(round(${v} * 100) AS INTEGER) / 100.0 = ${v}) THEN ${v} END`;

const DICTIONARIES = ['gateway', 'sensor', 'location', 'quality'] as const;
const keyOf = (d: (typeof DICTIONARIES)[number], id: string) =>
  `(SELECT key FROM ${d}_keys WHERE id = ${id})`;
// A dictionary row for each id of NEW not known yet; NOT EXISTS rather than OR IGNORE, so an outer
// `INSERT OR REPLACE` cannot replace a key (and orphan its rows).
const ensureKeys = (row: Record<(typeof DICTIONARIES)[number], string>) =>
  DICTIONARIES.map(
    (d) =>
      `INSERT INTO ${d}_keys (id) SELECT ${row[d]} WHERE NOT EXISTS (SELECT 1 FROM ${d}_keys WHERE id = ${row[d]});`,
  ).join('\n');
const NEW = {
  gateway: 'NEW.gateway_id',
  sensor: 'NEW.sensor_id',
  location: 'NEW.location_id',
  quality: 'NEW.quality',
};
const newValues = `${keyOf('location', NEW.location)}, NEW.ts, ${keyOf('gateway', NEW.gateway)}, NEW.seq,
  ${keyOf('sensor', NEW.sensor)}, ${keyOf('quality', NEW.quality)}, NEW.received_at - NEW.ts,
  ${centi('NEW.temp_c')}, ${fallback('NEW.temp_c')}, ${centi('NEW.rh')}, ${fallback('NEW.rh')}`;
// The sensor's span at the location (0042), which every writer keeps: a sensor's readings are read through
// its locations (store/queries/list-readings.ts).
const WIDEN_SPAN = `INSERT INTO location_sensors (location_id, sensor_id, gateway_id, first_ts, last_ts)
  VALUES (NEW.location_id, NEW.sensor_id, NEW.gateway_id, NEW.ts, NEW.ts)
  ON CONFLICT (location_id, sensor_id, gateway_id)
  DO UPDATE SET first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts);`;
const ROW_COLUMNS = `location_key, ts, gateway_key, seq, sensor_key, quality_key, received_lag, temp_cc, temp_x,
  rh_cc, rh_x`;

/** Migration 0043-compact-readings. Shipped migrations are never edited; add a new one instead. */
export const migration0043 = (dialect: Dialect): Migration => ({
  // docs/performance.md "Readings layout": on SQLite a reading is a row of integer keys into four small
  // dictionaries, its values in 0.01 units where exact and its arrival as milliseconds after its time,
  // clustered by (location, ts) (`WITHOUT ROWID`: a location's readings in a time range, what the hot reads
  // ask, are consecutive rows, no lookup per row) with one index, the dedupe key (gateway, seq): about 60
  // bytes a reading instead of 134. A sensor's readings are read within its locations' ranges
  // (location_sensors). The view `readings` gives every reader the columns of before; its INSTEAD OF
  // triggers keep other writers (tools, tests) working and the sensors' spans (location_sensors) whole;
  // ingest, restore and prune write `reading_rows` directly (store/sqlite-reading-rows.ts). PostgreSQL keeps
  // its partitioned rows: a row there cannot get near the goal (docs/performance.md).
  async up(db: Kysely<unknown>) {
    if (dialect !== 'sqlite') return;
    for (const d of DICTIONARIES)
      await sql.raw(`CREATE TABLE ${d}_keys (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)`).execute(db);
    await sql
      .raw(
        `CREATE TABLE reading_rows (location_key INTEGER NOT NULL, ts INTEGER NOT NULL, gateway_key INTEGER NOT NULL,
          seq INTEGER NOT NULL, sensor_key INTEGER NOT NULL, quality_key INTEGER NOT NULL,
          received_lag INTEGER NOT NULL, temp_cc INTEGER, temp_x REAL, rh_cc INTEGER, rh_x REAL,
          PRIMARY KEY (location_key, ts, gateway_key, seq)) WITHOUT ROWID`,
      )
      .execute(db);
    const column = {
      gateway: 'gateway_id',
      sensor: 'sensor_id',
      location: 'location_id',
      quality: 'quality',
    };
    for (const d of DICTIONARIES)
      await sql
        .raw(`INSERT INTO ${d}_keys (id) SELECT DISTINCT ${column[d]} FROM readings ORDER BY 1`)
        .execute(db);
    await sql
      .raw(
        `INSERT INTO reading_rows (${ROW_COLUMNS})
         SELECT l.key, r.ts, g.key, r.seq, s.key, q.key, r.received_at - r.ts, ${centi('r.temp_c')},
           ${fallback('r.temp_c')}, ${centi('r.rh')}, ${fallback('r.rh')}
         FROM readings r JOIN gateway_keys g ON g.id = r.gateway_id JOIN sensor_keys s ON s.id = r.sensor_id
           JOIN location_keys l ON l.id = r.location_id JOIN quality_keys q ON q.id = r.quality
         ORDER BY l.key, r.ts, g.key, r.seq`,
      )
      .execute(db);
    await sql.raw('DROP TABLE readings').execute(db);
    await sql
      .raw('CREATE UNIQUE INDEX reading_rows_gateway_seq ON reading_rows (gateway_key, seq)')
      .execute(db);
    await sql
      .raw(
        `CREATE VIEW readings AS SELECT g.id AS gateway_id, r.seq, s.id AS sensor_id, l.id AS location_id, r.ts,
           COALESCE(r.temp_x, r.temp_cc / 100.0) AS temp_c, COALESCE(r.rh_x, r.rh_cc / 100.0) AS rh,
           q.id AS quality, r.ts + r.received_lag AS received_at
         FROM reading_rows r JOIN gateway_keys g ON g.key = r.gateway_key JOIN sensor_keys s ON s.key = r.sensor_key
           JOIN location_keys l ON l.key = r.location_key JOIN quality_keys q ON q.key = r.quality_key`,
      )
      .execute(db);
    const oldKey = `gateway_key = ${keyOf('gateway', 'OLD.gateway_id')} AND seq = OLD.seq`;
    await sql
      .raw(
        `CREATE TRIGGER readings_insert INSTEAD OF INSERT ON readings BEGIN
           ${ensureKeys(NEW)}
           INSERT INTO reading_rows (${ROW_COLUMNS}) VALUES (${newValues});
           ${WIDEN_SPAN}
         END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER readings_delete INSTEAD OF DELETE ON readings BEGIN DELETE FROM reading_rows WHERE ${oldKey}; END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER readings_update INSTEAD OF UPDATE ON readings BEGIN
           ${ensureKeys(NEW)}
           UPDATE reading_rows SET (${ROW_COLUMNS}) = (SELECT ${newValues}) WHERE ${oldKey};
           ${WIDEN_SPAN}
         END`,
      )
      .execute(db);
  },
});
