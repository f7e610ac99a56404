import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * `/readyz` tells the truth when the store refuses commits: the database lives on a 16 MiB tmpfs that the
 * test fills (root may mount one; without root, SQLite's max_page_count refuses the growth with the same
 * SQLITE_FULL). A gateway's batch then fails to commit, is not acknowledged, and comes again; `/readyz`
 * turns not ready within 5 s and ready again once the space is back and the resent batch is stored.
 */
let dir: string;
let mounted = false;
let cloud: TestCloud;
let secret: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
  cloud = await startTestCloud({ database: `sqlite:${join(dir, 'cloud.db')}` });
  secret = await cloud.addGateway('gw-a');
});
afterAll(async () => {
  await cloud?.stop();
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string) => cloud.app.inject({ method: 'GET', url });
const commitFailures = async () =>
  Number(/coldtrace_ingest_commit_failures_total (\d+)/.exec((await get('/metrics')).body)?.[1] ?? 0);

/** Makes the store refuse to grow: fills the filesystem, or caps the page count without a mount. */
function refuseGrowth(): () => void {
  const sqlite = cloud.store.opened.sqlite!;
  // An empty WAL, so the next commit must take new space rather than reuse the WAL's.
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  if (!mounted) {
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    sqlite.pragma(`max_page_count = ${pages}`);
    return () => sqlite.pragma('max_page_count = 4294967294');
  }
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return () => unlinkSync(filler);
}

describe('/healthz and /readyz', () => {
  it('are ok and ready with every check passing', async () => {
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { broker: { ok: true }, commits: { ok: true }, ingest: { ok: true }, store: { ok: true } },
    });
    expect((await get('/healthz')).json()).toMatchObject({ status: 'ok' });
  });

  it('turn not ready within 5 s of the store refusing commits, and ready again after', async () => {
    const gw = await cloud.connect('gw-a', secret, { reconnectPeriod: 50 });
    const restore = refuseGrowth();
    try {
      const batch = readingsBatch('gw-a', readings(500));
      const acked = new Promise<void>((resolve, reject) =>
        gw.publish(gatewayTopic('gw-a', 'readings'), JSON.stringify(batch), { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      const notReady = await until(
        async () => {
          const r = await get('/readyz');
          return r.statusCode === 503 && r.json();
        },
        'not ready',
        { timeoutMs: 5000 },
      );
      expect(notReady.status).toBe('not_ready');
      expect(notReady.checks.commits).toEqual({
        ok: false,
        detail: expect.stringMatching(/the last ingest commit failed .*full/),
      });
      expect(notReady.checks.store).toEqual({ ok: true }); // reads still answer
      // Liveness: a restart would not help, so /healthz says degraded with 200.
      const health = await get('/healthz');
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'degraded', checks: { commits: { ok: false } } });
      expect(await commitFailures()).toBeGreaterThanOrEqual(1);
      expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(0);

      restore();
      await acked; // the gateway's resend was committed and acknowledged
      await until(async () => (await get('/readyz')).statusCode === 200, 'ready again', { timeoutMs: 5000 });
      expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(500);
    } finally {
      await gw.endAsync(true);
    }
  });

  it('fail liveness when the embedded broker has stopped', async () => {
    await cloud.broker!.close();
    const health = await get('/healthz');
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({
      status: 'failed',
      checks: { broker: { ok: false, detail: 'the embedded broker has stopped' } },
    });
    expect((await get('/readyz')).statusCode).toBe(503);
  });
});
