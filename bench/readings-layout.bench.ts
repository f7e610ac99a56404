/**
 * `npm run bench -- readings-layout [--readings=200000] [--stores=sqlite,postgres] [--layouts=…] [--samples=20]`:
 * bytes per reading of candidate layouts of `readings` and its hot reads through a `readings` view (issue 18
 * item 3, docs/performance.md "Readings layout candidates"). The history is the history bench's network
 * (`history-network.ts`, ingest order: gateway by gateway, batches of 5,000) written straight to each
 * layout's tables, `current` (migration 0001's table) being the reference of the same run. Bytes are every
 * page of the layout's tables and indexes, dictionaries included (dbstat; pg_total_relation_size after
 * VACUUM ANALYZE). Prints one JSON object per line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  END,
  GATEWAYS,
  gatewayId,
  historyStart,
  locationId,
  minutesFor,
  readingBatches,
  sensorId,
} from './history-network.js';
import {
  type Block,
  blockOf,
  dictionaryRows,
  dictionaryStatements,
  Keys,
  packedBlock,
  ROW_LAYOUTS,
  type RowLayout,
  type Store,
  type StoredReading,
} from './readings-layouts.js';
import { timed } from './timed.js';

const BENCH = 'readings-layout';
const BATCH = 5000;
const arg = (name: string, dflt: string) =>
  process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const READINGS = Number(arg('readings', '200000'));
const STORES = arg('stores', 'sqlite,postgres').split(',') as Store[];
const SAMPLES = Number(arg('samples', '20'));
const LAYOUTS = arg('layouts', [...ROW_LAYOUTS.map((l) => l.name), 'blocks'].join(',')).split(',');
const PG_ADMIN = process.env.COLDTRACE_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Issue 18 item 3: bytes per reading (table + indexes). */
const GOAL_BYTES: Record<Store, number> = { sqlite: 60, postgres: 80 };

const round = (x: number) => Math.round(x * 10) / 10;
const out = (o: Record<string, unknown>) =>
  process.stdout.write(
    `${JSON.stringify({ bench: BENCH, readings: READINGS, load1: round(loadavg()[0]!), ...o })}\n`,
  );

/** The history in ingest order, batch by batch. */
function* history(): Generator<StoredReading[]> {
  const minutes = minutesFor(READINGS);
  for (let g = 0; g < GATEWAYS; g++)
    for (const batch of readingBatches(g, minutes, BATCH)) {
      const receivedAt = batch.at(-1)!.ts + 1000;
      yield batch.map((r) => ({ ...r, gatewayId: gatewayId(g), receivedAt }));
    }
}

const T0 = historyStart(minutesFor(READINGS));
/** The reads timed, with $n parameters: a lot stay's chunk, one sensor's history, a digest batch's range. */
const QUERIES: Record<string, [string, unknown[]]> = {
  location_chunk: [
    'SELECT gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality FROM readings WHERE location_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 1000',
    [locationId(7), T0, END],
  ],
  sensor_range: [
    'SELECT ts, temp_c FROM readings WHERE sensor_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts',
    [sensorId(31), T0, END],
  ],
  // The location chunk filtered by the key (resolved by a scalar subquery), where the view exposes it.
  location_chunk_keyed: [
    'SELECT gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality FROM readings WHERE location_key = (SELECT key FROM location_keys WHERE id = $1) AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 1000',
    [locationId(7), T0, END],
  ],
  gateway_range: [
    'SELECT * FROM readings WHERE gateway_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq',
    [gatewayId(3), 1, 5001],
  ],
};

/**
 * The stay chunk of `channel-index` as the reads would make it: a k-way merge by time of the location's
 * channels, each read lazily by its own index range in index order (`MERGE_CHUNK` rows a query, no sort),
 * until 1,000 are taken.
 */
const MERGE_CHUNK = 300;
async function mergedChunk(t: Target): Promise<unknown[]> {
  const [location, from, to] = QUERIES.location_chunk![1] as [string, number, number];
  const channels = (await t.query('SELECT key FROM channel_keys WHERE location_id = $1', [
    location,
  ])) as Array<{
    key: number;
  }>;
  type Row = { ts: number | string };
  const streams = channels.map((c) => ({ key: c.key, lo: from, buf: [] as Row[], pos: 0, done: false }));
  const peek = async (s: (typeof streams)[number]): Promise<Row | undefined> => {
    if (s.pos >= s.buf.length && !s.done) {
      // Ranges end on a whole ts, as the stay reads' chunks do, so none is cut between equal times.
      s.buf = (await t.query(
        'SELECT gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality FROM readings WHERE channel_key = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT $4',
        [s.key, s.lo, to, MERGE_CHUNK],
      )) as Row[];
      s.pos = 0;
      if (s.buf.length < MERGE_CHUNK) s.done = true;
      else {
        const last = Number(s.buf.at(-1)!.ts);
        s.buf = s.buf.filter((r) => Number(r.ts) < last);
        s.lo = last;
      }
    }
    return s.buf[s.pos];
  };
  const out: Row[] = [];
  while (out.length < 1000) {
    let best: (typeof streams)[number] | undefined;
    let bestRow: Row | undefined;
    for (const s of streams) {
      const r = await peek(s);
      if (r && (!bestRow || Number(r.ts) < Number(bestRow.ts))) [best, bestRow] = [s, r];
    }
    if (!best || !bestRow) break;
    out.push(bestRow);
    best.pos++;
  }
  return out;
}

/** A store's connection as the bench uses it: DDL, batch inserts, byte count and timed queries. */
interface Target {
  exec(sql: string): Promise<void>;
  insert(table: string, columns: Array<{ name: string; pg: string }>, rows: unknown[][]): Promise<void>;
  bytes(): Promise<number>;
  query(sql: string, params: unknown[]): Promise<unknown[]>;
  plan(sql: string, params: unknown[]): Promise<string>;
  close(): Promise<void>;
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-layout-'));
  const db = new Database(join(dir, 'layout.db'));
  const q = (sql: string) => sql.replace(/\$\d+/g, '?');
  return {
    exec: async (sql) => void db.exec(sql),
    insert: async (table, columns, rows) => {
      const st = db.prepare(`INSERT INTO ${table} VALUES (${columns.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const r of rows) st.run(...r);
      })();
    },
    bytes: async () =>
      (db.prepare("SELECT SUM(pgsize) AS b FROM dbstat WHERE name <> 'sqlite_schema'").get() as { b: number })
        .b,
    query: async (sql, params) => db.prepare(q(sql)).all(...params),
    plan: async (sql, params) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${q(sql)}`).all(...params) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join('; '),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgTarget(): Promise<Target> {
  const schema = `bench_layout_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`SET search_path TO ${schema}`);
  return {
    exec: async (sql) => void (await c.query(sql)),
    insert: async (table, columns, rows) => {
      const arrays = columns.map((_, i) => rows.map((r) => r[i]));
      const unnest = columns.map((col, i) => `$${i + 1}::${col.pg.split(' ')[0]}[]`).join(', ');
      await c.query(`INSERT INTO ${table} SELECT * FROM unnest(${unnest})`, arrays);
    },
    bytes: async () => {
      const tables = await c.query(
        "SELECT c.oid::regclass::text AS t FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'",
        [schema],
      );
      for (const { t } of tables.rows) await c.query(`VACUUM ANALYZE ${t}`);
      const r = await c.query(
        "SELECT SUM(pg_total_relation_size(c.oid)) AS b FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'",
        [schema],
      );
      return Number(r.rows[0].b);
    },
    query: async (sql, params) => (await c.query(sql, params)).rows,
    plan: async (sql, params) =>
      (await c.query(`EXPLAIN ${sql}`, params)).rows
        .map((r) => String(r['QUERY PLAN']).trim())
        .filter((l) => /Scan|Sort|Join|Nested/.test(l))
        .map((l) => l.replace(/\s+\(cost.*$/, ''))
        .join('; '),
    close: async () => {
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

const open = (store: Store) => (store === 'sqlite' ? Promise.resolve(sqliteTarget()) : pgTarget());

async function rowLayout(store: Store, layout: RowLayout): Promise<void> {
  const t = await open(store);
  try {
    const table = layout.view ? 'reading_rows' : 'readings';
    const cols = layout.columns.map((c) => `${c.name} ${store === 'sqlite' ? c.sqlite : c.pg}`);
    const rowid = layout.withoutRowid && store === 'sqlite' ? ' WITHOUT ROWID' : '';
    await t.exec(`CREATE TABLE ${table} (${cols.join(', ')}, PRIMARY KEY (${layout.pk.join(', ')}))${rowid}`);
    for (const s of layout.indexes) await t.exec(s);
    const keys = new Keys();
    for (const batch of history())
      await t.insert(
        table,
        layout.columns,
        batch.map((r) => layout.columns.map((c) => c.of(r, keys))),
      );
    if (layout.view) {
      for (const s of dictionaryStatements(store)) await t.exec(s);
      for (const [dict, ...row] of dictionaryRows(keys))
        await t.exec(
          `INSERT INTO ${dict} VALUES (${row.map((v) => (typeof v === 'number' ? v : `'${v}'`)).join(', ')})`,
        );
      await t.exec(layout.view);
    }
    const bytes = (await t.bytes()) / READINGS;
    out({
      store,
      layout: layout.name,
      metric: 'bytes_per_reading',
      value: round(bytes),
      goal: GOAL_BYTES[store],
    });
    for (const [metric, [sql, params]] of Object.entries(QUERIES)) {
      if (sql.includes('location_key') && !layout.view?.includes('location_key')) continue;
      const rows = (await t.query(sql, params)).length;
      const { p50, p95 } = await timed(() => t.query(sql, params), SAMPLES);
      const ms = { p50: round(p50), p95: round(p95) };
      out({ store, layout: layout.name, metric, unit: 'ms', ...ms, rows, plan: await t.plan(sql, params) });
    }
    if (layout.view?.includes('channel_key')) {
      const { p50, p95 } = await timed(() => mergedChunk(t), SAMPLES);
      const merged = (await mergedChunk(t)) as Array<{ ts: unknown }>;
      const [sql, params] = QUERIES.location_chunk!;
      const direct = (await t.query(sql, params)) as Array<{ ts: unknown }>;
      if (merged.map((r) => Number(r.ts)).join() !== direct.map((r) => Number(r.ts)).join())
        throw new Error('the merged chunk differs from the location chunk');
      const rows = merged.length;
      out({
        store,
        layout: layout.name,
        metric: 'location_chunk_merged',
        unit: 'ms',
        p50: round(p50),
        p95: round(p95),
        rows,
      });
    }
  } finally {
    await t.close();
  }
}

/** `blocks`: size only (its reads would unpack arrays; no view). */
async function blocksLayout(store: Store): Promise<void> {
  const t = await open(store);
  try {
    await t.exec(
      store === 'sqlite'
        ? // A rowid table: a WITHOUT ROWID row this long would spill to overflow pages.
          'CREATE TABLE reading_blocks (gw integer, channel integer, hour integer, first_seq integer, data blob, UNIQUE (channel, hour, gw))'
        : 'CREATE TABLE reading_blocks (gw int2, channel int2, hour int4, seqs int8[], ts_offsets int4[], temps int2[], received int8[], PRIMARY KEY (channel, hour, gw))',
    );
    await t.exec(
      `CREATE INDEX reading_blocks_gw_seq ON reading_blocks (gw, ${store === 'sqlite' ? 'first_seq' : '(seqs[1])'})`,
    );
    const keys = new Keys();
    const blocks = new Map<string, Block>();
    for (const batch of history()) for (const r of batch) blockOf(blocks, r, keys);
    const all = [...blocks.values()];
    for (let i = 0; i < all.length; i += 1000) {
      const part = all.slice(i, i + 1000);
      if (store === 'sqlite')
        await t.insert(
          'reading_blocks',
          ['gw', 'channel', 'hour', 'first_seq', 'data'].map((name) => ({ name, pg: '' })),
          part.map((b) => [b.gw, b.channel, b.hour, b.seqs[0], packedBlock(b)]),
        );
      else
        for (const b of part)
          await t.query('INSERT INTO reading_blocks VALUES ($1, $2, $3, $4, $5, $6, $7)', [
            b.gw,
            b.channel,
            b.hour,
            b.seqs,
            b.tsOffsets,
            b.temps,
            b.received,
          ]);
    }
    out({
      store,
      layout: 'blocks',
      metric: 'bytes_per_reading',
      value: round((await t.bytes()) / READINGS),
      goal: GOAL_BYTES[store],
    });
  } finally {
    await t.close();
  }
}

for (const store of STORES) {
  for (const layout of ROW_LAYOUTS) if (LAYOUTS.includes(layout.name)) await rowLayout(store, layout);
  if (LAYOUTS.includes('blocks')) await blocksLayout(store);
}
