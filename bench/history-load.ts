/**
 * The databases of `npm run bench -- history` (history.bench.ts) and what is written to them: a fresh
 * SQLite file or PostgreSQL database per size, the history of `history-network.ts` bulk-loaded through the
 * one ingest path, and the bytes each stored reading takes.
 */
import { join } from 'node:path';
import { CloudStore, maintainReadingPartitions, monthIndexOf, openDatabase } from '@coldtrace/cloud';
import pg from 'pg';
import {
  END,
  GATEWAYS,
  gatewayId,
  historyStart,
  minutesFor,
  movementsByGateway,
  readingBatches,
} from './history-network.js';

const BATCH = 5000;
const PG_ADMIN = process.env.COLDTRACE_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh database of this store for one size (SQLite: a file in `dir`; PostgreSQL: a new database). */
export async function database(store: 'sqlite' | 'postgres', dir: string) {
  if (store === 'sqlite') {
    const file = join(dir, 'history.db');
    return { url: `sqlite:${file}`, drop: async () => {}, file };
  }
  const name = `coldtrace_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    file: undefined,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** A gateway's batch of consecutive records, sent at its last record's time. */
const batchOf = <R extends { seq: number; ts: number }>(g: number, records: R[]) => ({
  gatewayId: gatewayId(g),
  firstSeq: records[0]!.seq,
  lastSeq: records.at(-1)!.seq,
  sentAt: records.at(-1)!.ts,
  records,
});

/** Readings and movements written through the ingest path, gateway by gateway. */
export async function bulkLoad(
  url: string,
  readings: number,
): Promise<{ readings: number; seconds: number }> {
  const store = new CloudStore(await openDatabase(url));
  const minutes = minutesFor(readings);
  const started = performance.now();
  let n = 0;
  try {
    // The partitions module keeps months ahead of the wall clock; a history's past months get theirs first,
    // as a database that ingested them live would have them.
    if (store.opened.dialect === 'postgres') {
      const first = monthIndexOf(historyStart(minutes));
      const months = Array.from({ length: monthIndexOf(END) - first + 1 }, (_, i) => first + i);
      await maintainReadingPartitions(store.db, { months });
    }
    const moves = movementsByGateway(minutes);
    for (let g = 0; g < GATEWAYS; g++) {
      for (const records of readingBatches(g, minutes, BATCH))
        n += (await store.ingestReadings(gatewayId(g), batchOf(g, records), records.at(-1)!.ts + 1000))
          .inserted;
      const list = moves.get(g) ?? [];
      for (let i = 0; i < list.length; i += BATCH) {
        const records = list.slice(i, i + BATCH);
        await store.ingestMovements(gatewayId(g), batchOf(g, records), records.at(-1)!.ts + 1000);
      }
    }
  } finally {
    await store.close();
  }
  return { readings: n, seconds: (performance.now() - started) / 1000 };
}

export async function bytesPerReading(
  store: 'sqlite' | 'postgres',
  url: string,
  readings: number,
): Promise<number> {
  if (store === 'sqlite') {
    const opened = await openDatabase(url);
    try {
      // dbstat (compiled into better-sqlite3): the pages of the readings' rows (0043: `reading_rows`, behind
      // the view `readings`), of their indexes and of the key dictionaries.
      const tables =
        "('readings', 'reading_rows', 'gateway_keys', 'sensor_keys', 'location_keys', 'quality_keys')";
      const row = opened
        .sqlite!.prepare(
          `SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN ${tables}
             OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ${tables})`,
        )
        .get() as { bytes: number };
      return row.bytes / readings;
    } finally {
      await opened.close();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('VACUUM ANALYZE reading_rows');
    // Partitioned by month (migration 0040): the table is its partitions, each with its indexes; the rows
    // hold keys into four dictionaries (0044), counted too.
    const r = await c.query(
      `SELECT (SELECT SUM(pg_total_relation_size(inhrelid)) FROM pg_inherits
          WHERE inhparent = 'reading_rows'::regclass)
        + (SELECT SUM(pg_total_relation_size(t::regclass))
          FROM unnest(ARRAY['gateway_keys', 'sensor_keys', 'location_keys', 'quality_keys']) t) AS bytes`,
    );
    return Number(r.rows[0].bytes) / readings;
  } finally {
    await c.end();
  }
}
