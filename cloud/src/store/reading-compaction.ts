import { type Kysely, sql } from 'kysely';
import { partitionNamed } from './partition-months.js';

/**
 * How long after a month's end its partition's indexes are rebuilt: late readings (a gateway's backlog
 * after an outage, delivered within hours) are rare by then, and each one after it only grows the rebuilt
 * indexes a little (docs/operations.md "Partitions of readings").
 */
export const COMPACT_GRACE_MS = 2 * 86_400_000;
/** Two-int4 advisory key space of the rebuilds, apart from the creations' (`reading-partitions.ts`). */
export const COMPACT_LOCK_SPACE = 0x0c7d_0a28; // fixed and arbitrary: "coldtrace partitions" + 1
/** `REINDEX ... CONCURRENTLY` exists from PostgreSQL 12 (`server_version_num`). */
const MIN_SERVER_VERSION = 120000;
/** The comment on a rebuilt month's partition: the record that it is done (no table or migration). */
const MARK = 'coldtrace: indexes rebuilt';
/** Names `REINDEX CONCURRENTLY` gives the copies it leaves invalid when it fails or is interrupted. */
const LEFTOVER = '_cc(new|old)[0-9]*$';

export interface CompactionPass {
  /** `compacted`: `month`'s indexes rebuilt; `none`: no month due; `busy`: another cloud rebuilds the
   * month due; `unsupported`: the server predates PostgreSQL 12; `deferred`: not tried, the start's
   * recovery is under way (partitions-module.ts). */
  outcome: 'compacted' | 'none' | 'busy' | 'unsupported' | 'deferred';
  /** The partition rebuilt or found busy. */
  month?: string;
  /** Invalid indexes left by an earlier failed rebuild, dropped before this one. */
  dropped: string[];
  /** The partition's index bytes before and after the rebuild (`pg_indexes_size`). */
  indexBytes?: { before: number; after: number };
}

/**
 * Rebuilds the indexes of at most one closed month's partition (the oldest not yet rebuilt that ended
 * `graceMs` before `now`), once: built as ingest leaves them, the (sensor, ts) index's pages split as every
 * sensor's range grows at its own end (with text ids, before 0044, 71 bytes per reading against 41 built
 * afresh; with keys little is gained: docs/operations.md "Partitions of readings"). `REINDEX TABLE CONCURRENTLY` builds
 * new indexes beside the old ones and swaps them: reads and inserts of the partition go on meanwhile.
 * Several clouds may pass at once: one rebuilds a month under a session advisory lock, another finding it
 * held skips the pass. A rebuild that failed or was interrupted leaves invalid copies; they are dropped
 * before the month is tried again. `serverVersionNum` replaces the server's, for tests.
 */
export async function compactClosedMonth<DB>(
  db: Kysely<DB>,
  o: {
    now: number;
    graceMs?: number | undefined;
    lockTimeoutMs?: number | undefined;
    serverVersionNum?: number;
  },
): Promise<CompactionPass> {
  const version =
    o.serverVersionNum ??
    Number(
      (await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(db)).rows[0]?.v,
    );
  if (version < MIN_SERVER_VERSION) return { outcome: 'unsupported', dropped: [] };
  const due = (await uncompacted(db))
    .map((name) => partitionNamed(name))
    .filter((m) => m !== undefined && m.to + (o.graceMs ?? COMPACT_GRACE_MS) <= o.now)
    .sort((a, b) => (a?.index ?? 0) - (b?.index ?? 0))[0];
  if (due === undefined) return { outcome: 'none', dropped: [] };
  return db.connection().execute(async (conn) => {
    const lock = sql`${COMPACT_LOCK_SPACE}::int4, ${due.index}::int4`;
    const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${lock}) as ok`.execute(conn);
    if (!got.rows[0]?.ok) return { outcome: 'busy', month: due.name, dropped: [] };
    try {
      // Rebuilt by another cloud between the listing and the lock.
      if (!(await uncompacted(conn)).includes(due.name)) return { outcome: 'none', dropped: [] };
      const left = await sql<{ name: string }>`
        select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = ${due.name}::regclass and not i.indisvalid and c.relname ~ ${LEFTOVER}`.execute(
        conn,
      );
      for (const { name } of left.rows)
        await sql`drop index concurrently if exists ${sql.id(name)}`.execute(conn);
      const before = await indexBytes(conn, due.name);
      const timeout = `${Math.max(1, Math.round(o.lockTimeoutMs ?? 5000))}ms`;
      await sql`set lock_timeout = ${sql.lit(timeout)}`.execute(conn);
      try {
        await sql`reindex table concurrently ${sql.id(due.name)}`.execute(conn);
      } finally {
        await sql`reset lock_timeout`.execute(conn);
      }
      const mark = `${MARK} ${new Date(o.now).toISOString()}`;
      await sql`comment on table ${sql.id(due.name)} is ${sql.lit(mark)}`.execute(conn);
      return {
        outcome: 'compacted',
        month: due.name,
        dropped: left.rows.map((r) => r.name),
        indexBytes: { before, after: await indexBytes(conn, due.name) },
      };
    } finally {
      await sql`select pg_advisory_unlock(${lock})`.execute(conn);
    }
  });
}

/** Month partitions of `readings` whose indexes were not rebuilt yet. */
async function uncompacted<DB>(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'reading_rows'::regclass and c.relname <> 'readings_default'
      and coalesce(obj_description(c.oid, 'pg_class'), '') not like ${`${MARK}%`}`.execute(db);
  return rows.map((r) => r.name);
}

async function indexBytes<DB>(db: Kysely<DB>, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select pg_indexes_size(${table}::regclass) as n`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
