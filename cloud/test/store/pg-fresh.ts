import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
