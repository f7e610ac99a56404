import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { NODE_SETTING } from './migrations/0029-mark-owners.js';
import { type Dialect, migrateToLatest } from './migrations.js';
import { ReadingKeyFilters } from './reading-key-filters.js';
import type { Database } from './schema.js';

/** The PostgreSQL pool's connections now (`coldtrace_store_pool_connections`). */
export interface PoolStats {
  /** Open connections, idle or checked out. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The most it opens (config `databasePool.size`). */
  max: number;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The better-sqlite3 handle for the SQLite dialect (fast paths, backups); undefined on PostgreSQL. */
  sqlite: SqliteDatabase.Database | undefined;
  /** The PostgreSQL pool's connections; undefined on SQLite (one connection, no pool). */
  poolStats?: (() => PoolStats) | undefined;
  /**
   * This process's node id on the store, random per open (domain/node-liveness.ts): on PostgreSQL every
   * evaluation mark written through this handle names it as owner (migration 0029).
   */
  nodeId: string;
  close(): Promise<void>;
}

/**
 * After this long idle inside a transaction PostgreSQL ends the session (config
 * `databasePool.idleInTransactionTimeoutMs`).
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

export interface OpenDatabaseOptions {
  /**
   * Called when a PostgreSQL connection fails (server restart, admin termination, network loss), idle or
   * checked out. The pool drops that connection and opens a new one on the next query; without a listener
   * node-postgres would throw the error out of an event emitter and kill the process. Default: a warning
   * on stderr.
   */
  onConnectionError?: (err: Error) => void;
  /**
   * PostgreSQL pool size (default 10), connection wait limit (default none) and the sessions' idle in
   * transaction limit (default `DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS`): config `databasePool`.
   */
  pool?:
    | {
        size: number;
        connectionTimeoutMs?: number | undefined;
        idleInTransactionTimeoutMs?: number | undefined;
      }
    | undefined;
}

/**
 * Opens the store named by `url` and migrates it: `sqlite:<path>` (or a bare path, or `:memory:`) or
 * `postgres://…`. SQLite runs in WAL mode with synchronous=FULL: a committed ingest survives power loss.
 */
export async function openDatabase(url: string, opts: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.pool?.size ?? 10,
      // node-postgres: 0 waits for ever, for a new connection and for one to come free.
      connectionTimeoutMillis: opts.pool?.connectionTimeoutMs ?? 0,
      // PostgreSQL ends a session left idle inside a transaction (its process frozen, its host or network
      // gone: no reset reaches the server), releasing the locks every other cloud would wait on for ever.
      // Our transactions never wait on anything outside the database. A `idle_in_transaction_session_timeout`
      // in the URL's query takes precedence (node-postgres).
      idle_in_transaction_session_timeout:
        opts.pool?.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      // int8 (epoch ms, sequence numbers) and numeric back to JS numbers: all ours fit in 2^53.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === 20 || oid === 1700
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    const onConnectionError =
      opts.onConnectionError ??
      ((err: Error) =>
        process.emitWarning(`PostgreSQL idle connection failed: ${err.message}`, 'CT_PG_CONN'));
    pool.on('error', (err) => onConnectionError(err));
    // The pool listens only on idle connections. One checked out (a transaction between statements, the
    // outbox lane lock held during a webhook POST) would throw its failure out of the event emitter too:
    // report it once, as the pool does for idle ones; its pending and later queries fail, and the pool
    // drops it on release.
    const checkedOut = new WeakMap<pg.PoolClient, (err: Error) => void>();
    pool.on('acquire', (client) => {
      let reported = false;
      const listener = (err: Error) => {
        if (!reported) onConnectionError(err);
        reported = true;
      };
      checkedOut.set(client, listener);
      client.on('error', listener);
    });
    pool.on('release', (_err, client) => {
      const listener = checkedOut.get(client);
      if (listener) client.removeListener('error', listener);
      checkedOut.delete(client);
    });
    const nodeId = randomUUID();
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool,
        // Before a new connection's first query: the marks it inserts default to this owner (0029).
        onCreateConnection: async (c) => {
          await c.executeQuery(CompiledQuery.raw('SELECT set_config($1, $2, false)', [NODE_SETTING, nodeId]));
        },
      }),
    });
    await migrateToLatest(db as Kysely<unknown>, 'postgres');
    // After the migrations, whose statements address the tables as each one found them.
    const keyed = db.withPlugin(new ReadingKeyFilters());
    const poolStats = (): PoolStats => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
    });
    return {
      db: keyed,
      dialect: 'postgres',
      sqlite: undefined,
      poolStats,
      nodeId,
      close: () => db.destroy(),
    };
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return { db, dialect: 'sqlite', sqlite, nodeId: randomUUID(), close: () => db.destroy() };
}
