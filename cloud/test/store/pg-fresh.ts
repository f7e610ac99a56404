import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';

/**
 * The PostgreSQL server the service tests use: trust auth on 127.0.0.1:5432 with a `test` database
 * (`deploy/dev-services.sh` sets that up). Override with COLDTRACE_PG_ADMIN_URL.
 */
export const PG_ADMIN_URL = process.env.COLDTRACE_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface FreshPostgres {
  /** Connection URL of the new, empty database. */
  url: string;
  /** Drops the database (terminating leftover connections). Idempotent. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database `coldtrace_test_<random>` through the admin (`test`) database. */
export async function freshPostgresUrl(): Promise<FreshPostgres> {
  const name = `coldtrace_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      });
    },
  };
}

/** Opens `open`'s resource on a fresh database; closing it closes the resource, then drops the database. */
export async function openOnFreshPg<T extends { close(): Promise<void> }>(
  open: (url: string) => Promise<T>,
): Promise<{ value: T; close(): Promise<void> }> {
  const pg = await freshPostgresUrl();
  let value: T;
  try {
    value = await open(pg.url);
  } catch (err) {
    await pg.drop();
    throw err;
  }
  return {
    value,
    async close() {
      try {
        await value.close();
      } finally {
        await pg.drop();
      }
    },
  };
}

/** A store on a fresh database, and its close (the store, then the database). */
export async function openFreshPgStore(): Promise<{ store: CloudStore; close(): Promise<void> }> {
  const { value, close } = await openOnFreshPg(async (url) => new CloudStore(await openDatabase(url)));
  return { store: value, close };
}

/**
 * For the tests of the enclosing describe block: `open`'s resource on a fresh database, opened before them,
 * closed and the database dropped after them. Returns its getter (the resource exists once they run).
 */
export function withFreshPg<T extends { close(): Promise<void> }>(
  open: (url: string) => Promise<T>,
): () => T {
  let opened: { value: T; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    opened = await openOnFreshPg(open);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (!opened) throw new Error('the fresh PostgreSQL database is opened in beforeAll');
    return opened.value;
  };
}

/** `withFreshPg` for a `CloudStore`. */
export function withFreshPgStore(): () => CloudStore {
  return withFreshPg(async (url) => new CloudStore(await openDatabase(url)));
}

/** Fresh databases and resources of one test, closed (last opened first) and dropped after it. */
export interface PerTestPg {
  /** A fresh database's URL. */
  url(): Promise<string>;
  /** A store on a fresh database, and that database's URL. */
  store(): Promise<{ store: CloudStore; url: string }>;
  /** A bare, unmigrated Kysely over a fresh database (a small pool), and that database's URL. */
  bareDb(): Promise<{ db: Kysely<unknown>; url: string }>;
  /** Runs `close` after the test, before whatever was opened earlier is closed. */
  defer(close: () => Promise<void>): void;
}

/** For the tests of the enclosing describe block (or file): a `PerTestPg` cleaned up after each of them. */
export function perTestPg(): PerTestPg {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const scope: PerTestPg = {
    async url() {
      const fresh = await freshPostgresUrl();
      closers.push(() => fresh.drop());
      return fresh.url;
    },
    async store() {
      const url = await scope.url();
      const store = new CloudStore(await openDatabase(url));
      closers.push(() => store.close());
      return { store, url };
    },
    async bareDb() {
      const url = await scope.url();
      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
      });
      closers.push(() => db.destroy());
      return { db, url };
    },
    defer(close) {
      closers.push(close);
    },
  };
  return scope;
}

/** For a migration suite's tests of the enclosing describe block: an opener of a fresh, unmigrated database. */
export function freshPgMigrationDbs(): () => Promise<{ db: Kysely<unknown>; dialect: 'postgres' }> {
  const scope = perTestPg();
  return async () => ({ db: (await scope.bareDb()).db, dialect: 'postgres' });
}
