import { systemClock } from '@coldtrace/shared';
import { freePort } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/http/build-app.js';
import { IngestHealth, ingestHealthSource } from '../../src/ingest/ingest-health.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * `/readyz` after a database outage (docs/operations.md "Health and readiness"): a commit that failed
 * because the database could not be reached stops failing readiness once the store probe of `/readyz`
 * answers, without any new message (another ingestor may have taken the resent one); a commit the database
 * refused stays failed until a commit succeeds. The PostgreSQL outage itself: readyz-after-pg-outage.svc.test.ts.
 */
let cloud: TestCloud;
let app: App;
let health: IngestHealth;

beforeAll(async () => {
  cloud = await startTestCloud();
  health = new IngestHealth({ clock: systemClock, maxLagMs: 30_000 });
  app = await buildApp({
    store: cloud.store,
    evaluator: cloud.evaluator,
    health: ingestHealthSource(health, {}),
  });
});
afterAll(async () => {
  await app?.close();
  await cloud?.stop();
});

const readyz = async () => {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  return { code: res.statusCode, body: res.json() };
};

/** The error node-postgres gives when nothing listens where the database should be. */
async function refusedConnection(): Promise<Error> {
  const client = new pg.Client({ host: '127.0.0.1', port: await freePort(), user: 'postgres' });
  const err = await client.connect().then(
    () => new Error('connected'),
    (e: Error) => e,
  );
  await client.end().catch(() => {});
  return err;
}

describe('/readyz after a failed commit', () => {
  it('turns ready at the next probe after a connection failure, without any commit', async () => {
    expect((await readyz()).code).toBe(200);
    const err = await refusedConnection();
    expect(err.message).toMatch(/ECONNREFUSED/);
    health.commitFailed(err);
    // What the check says between the failure and the probe (the probe runs with each request).
    expect(health.checks().commits).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/ECONNREFUSED/),
    });
    const after = await readyz();
    expect(after).toEqual({
      code: 200,
      body: { status: 'ready', checks: { commits: { ok: true }, ingest: { ok: true }, store: { ok: true } } },
    });
  });

  it('stays not ready after a commit the database refused, until a commit succeeds', async () => {
    const refused = await sql`insert into gateways (id) values (null)`.execute(cloud.store.db).then(
      () => new Error('inserted'),
      (e: Error) => e,
    );
    expect(refused.message).toMatch(/NOT NULL/);
    health.commitFailed(refused);
    for (let i = 0; i < 2; i++) {
      const r = await readyz();
      expect(r.code).toBe(503);
      expect(r.body).toMatchObject({
        status: 'not_ready',
        checks: { commits: { ok: false, detail: expect.stringMatching(/NOT NULL/) }, store: { ok: true } },
      });
    }
    health.committed();
    expect((await readyz()).code).toBe(200);
  });
});
