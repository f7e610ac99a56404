import { until } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { freshPostgresUrl, PG_ADMIN_URL } from './pg-fresh.js';

// A connection checked out of the pool has no pool listener: node-postgres throws a failure that arrives
// while no query runs on it (between a transaction's statements, or while the outbox dispatcher holds its
// lane lock during a webhook POST) out of an event emitter, which would kill the cloud.
describe('PostgreSQL store: a checked-out connection terminated by the server', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('reports the failure once, fails that connection’s next query and serves later ones on a new connection', async () => {
    const fresh = await freshPostgresUrl();
    cleanups.push(() => fresh.drop());
    const errors: Error[] = [];
    const opened = await openDatabase(fresh.url, { onConnectionError: (err) => errors.push(err) });
    cleanups.push(() => opened.close());

    const next = await opened.db.connection().execute(async (conn) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
      await admin.end();
      // Nothing runs on `conn` while the server ends the session.
      await until(() => errors.length > 0, 'the terminated session reported');
      return sql`select 1`.execute(conn).then(
        () => 'succeeded',
        (err: Error) => err.message,
      );
    });
    expect(next).toMatch(/not queryable/);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/terminating connection/);

    const { rows } = await sql<{ x: number }>`select 2 as x`.execute(opened.db);
    expect(rows).toEqual([{ x: 2 }]);
  });
});
