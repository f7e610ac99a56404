import { until } from '@coldtrace/shared/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { freshPostgresUrl, PG_ADMIN_URL } from './pg-fresh.js';

// A PostgreSQL restart or an administrator terminating sessions must not kill the cloud: node-postgres
// emits an idle client's failure on the pool, which throws when nobody listens.
describe('PostgreSQL store: idle connections terminated by the server', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('reports the failure, keeps the process alive and serves the next query on a new connection', async () => {
    const fresh = await freshPostgresUrl();
    cleanups.push(() => fresh.drop());
    const errors: Error[] = [];
    const opened = await openDatabase(fresh.url, { onConnectionError: (err) => errors.push(err) });
    const store = new CloudStore(opened);
    cleanups.push(() => store.close());
    // Several pooled connections, all idle afterwards.
    await Promise.all(Array.from({ length: 4 }, (_, i) => store.upsertGateway({ id: `gw-${i}`, now: i })));

    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const name = new URL(fresh.url).pathname.slice(1);
    const { rows } = await admin.query(
      'SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    await admin.end();
    expect(rows.length).toBeGreaterThan(0);
    // Every terminated idle connection is reported once (a query racing a termination still in flight
    // fails like any store error: ingest does not acknowledge and the gateway sends again).
    await until(() => errors.length >= rows.length, 'every terminated connection reported');
    expect(errors).toHaveLength(rows.length);
    expect(errors[0]?.message).toMatch(/terminating connection/);

    expect((await store.getGateway('gw-3'))?.id).toBe('gw-3');
  });
});
