import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyFiles, publicKeyring } from '../../src/audit-checkpoints/checkpoint-keys.js';
import { verifyCheckpoints } from '../../src/audit-checkpoints/checkpoints.js';
import { checkpointModule } from '../../src/modules/checkpoint-module.js';
import { openFixture } from '../audit-checkpoints/checkpoint-fixture.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const log = pino({ level: 'silent' });
const WALL = Date.UTC(2026, 11, 6, 5, 0, 0);
const jsonFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json'));
const metric = async (registry: Registry, result: string) =>
  (await registry.getSingleMetric('coldtrace_audit_checkpoints_total')!.get()).values.find(
    (v) => v.labels.result === result,
  )?.value;

describe('the audit checkpoint module', () => {
  let f: Awaited<ReturnType<typeof openFixture>> | undefined;
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await cloud?.close();
    cloud = undefined;
    await f?.close();
    f = undefined;
  });

  it('signs at start, every interval of wall time, and at stop; a failed write is counted, never thrown', async () => {
    f = await openFixture();
    const keyFile = join(f.dir, 'key.pem');
    generateKeyFiles(keyFile);
    const dir = join(f.dir, 'cp');
    mkdirSync(dir);
    const clock = manualClock(WALL);
    const registry = new Registry();
    const m = checkpointModule({
      db: f.store.db,
      keyFile,
      dest: { dir },
      intervalMs: 60_000,
      clock,
      log,
      registry,
    });
    await f.audit(2);
    await m.start();
    expect(jsonFiles(dir)).toEqual([expect.stringMatching(/^checkpoint-20261206T050000000Z-2-/)]);
    await f.audit(1);
    clock.advance(59_999);
    expect(jsonFiles(dir)).toHaveLength(1);
    clock.advance(1);
    await until(() => jsonFiles(dir).length === 2, 'the interval checkpoint');
    expect(jsonFiles(dir)[1]).toMatch(/^checkpoint-20261206T050100000Z-3-/);
    expect(await metric(registry, 'written')).toBe(2);

    // The destination is gone (an unmounted share): the tick fails, is counted, the module keeps its timer.
    renameSync(dir, `${dir}.away`);
    clock.advance(60_000);
    await until(async () => (await metric(registry, 'failed')) === 1, 'the failure counted');
    renameSync(`${dir}.away`, dir);
    clock.advance(60_000);
    await until(() => jsonFiles(dir).length === 3, 'the next checkpoint on time');

    await f.audit(1);
    await m.stop();
    expect(jsonFiles(dir)).toHaveLength(4);
    expect(clock.pending()).toBe(0);
    expect(await verifyCheckpoints(f.store.db, dir, publicKeyring([`${keyFile}.pub`]))).toMatchObject({
      ok: true,
      checkpoints: 4,
    });
  });

  it('runs in the cloud from its config; an unreadable key is a failed optional module, the cloud runs on', async () => {
    f = await openFixture();
    const keyFile = join(f.dir, 'key.pem');
    generateKeyFiles(keyFile);
    const dir = join(f.dir, 'cp');
    mkdirSync(dir);
    const wallClock = manualClock(WALL);
    cloud = await startTestCloud(
      { audit: { checkpoints: { keyFile, dir, intervalMs: 60_000 } } },
      { wallClock },
    );
    expect(cloud.modules[0]).toBe('audit checkpoints');
    expect(jsonFiles(dir)).toHaveLength(1);
    wallClock.advance(60_000);
    await until(() => jsonFiles(dir).length === 2, 'the interval checkpoint');
    const metrics = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('coldtrace_audit_checkpoints_total{result="written"} 2');
    wallClock.advance(1);
    await cloud.close();
    cloud = undefined;
    expect(jsonFiles(dir)).toHaveLength(3);

    cloud = await startTestCloud(
      { audit: { checkpoints: { keyFile: join(f.dir, 'missing.pem'), dir, intervalMs: 60_000 } } },
      { wallClock },
    );
    expect(cloud.modules).not.toContain('audit checkpoints');
    expect(cloud.modules).toContain('http');
    const after = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(after).toContain(
      'coldtrace_cloud_module_failures_total{module="audit checkpoints",phase="start"} 1',
    );
  });
});
