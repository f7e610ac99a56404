import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import type { RecoveryProgress } from '../../src/engine/recovery-progress.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { writeRecoveryBacklog } from '../helpers/recovery-backlog.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 0, 1);
const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'coldtrace-recovery-'));
let cloud: TestCloud | undefined;
afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The derived state of a store, without the times of its derivation. */
async function derived(store: CloudStore) {
  const excursions = (await store.db.selectFrom('excursions').selectAll().orderBy('id').execute()).map(
    ({ created_at: _c, updated_at: _u, ...rest }) => rest,
  );
  const gaps = await store.db
    .selectFrom('monitoring_gaps')
    .selectAll()
    .orderBy('sensor_id')
    .orderBy('from_ts')
    .execute();
  return { excursions, gaps };
}

interface Readyz {
  status: string;
  progress?: RecoveryProgress;
}

describe('start on a store with a large recovery backlog (docs/architecture.md "Recovery")', () => {
  it('serves HTTP at once, /readyz says "recovering" with progress, then ready, and derives what one transaction derives', async () => {
    // A location's 52 days at 4 sensors every 60 s (~300,000 readings) marked for whole-history
    // evaluation, as a crash after its creation (or after a limit change) leaves it.
    const file = join(dir, 'cloud.db');
    const store = new CloudStore(await openDatabase(`sqlite:${file}`));
    const readings = await writeRecoveryBacklog(store, {
      locationId: 'cold-room',
      sensors: 4,
      days: 52,
      intervalMs: 60_000,
      t0: T0,
    });
    await store.close();
    expect(readings).toBeGreaterThan(290_000);

    // The reference: the same store evaluated in one transaction.
    copyFileSync(file, join(dir, 'reference.db'));
    const reference = new CloudStore(await openDatabase(`sqlite:${join(dir, 'reference.db')}`));
    const engine = new DomainEngine({
      store: reference,
      clock: manualClock(T0),
      log: silent,
      chunkReadings: 0,
    });
    await engine.recoverMarks();
    await engine.flush();
    const expected = await derived(reference);
    await engine.close();
    await reference.close();
    expect(expected.excursions.length).toBeGreaterThan(50);

    const started = performance.now();
    cloud = await startTestCloud({
      database: `sqlite:${file}`,
      evaluation: { debounceMs: 20, chunkReadings: 10_000 },
    });
    const url = cloud.httpUrl;
    const get = async (path: string) => {
      const r = await fetch(`${url}${path}`);
      return { status: r.status, body: (await r.json()) as Readyz };
    };
    const first = await get('/readyz');
    const firstAfterMs = performance.now() - started;
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({
      status: 'recovering',
      progress: { locations: { done: 0, total: 1 } },
    });
    expect(firstAfterMs).toBeLessThan(3_000);

    // While it recovers, HTTP keeps answering between chunks: liveness is 200, readiness shows progress.
    const seen = new Set<number>();
    const ready = await until(
      async () => {
        const live = await get('/healthz');
        expect(live.status).toBe(200);
        const r = await get('/readyz');
        if (r.body.status === 'recovering') seen.add(r.body.progress!.readingsEvaluated);
        else expect(r).toMatchObject({ status: 200, body: { status: 'ready' } });
        return r.status === 200 ? r : undefined;
      },
      'the recovery done and /readyz ready',
      { timeoutMs: 120_000, intervalMs: 5 },
    );
    expect(ready.body).not.toHaveProperty('progress');
    expect(seen.size).toBeGreaterThanOrEqual(2);

    const marks = await cloud.store.db.selectFrom('evaluation_marks').select('id').execute();
    expect(marks).toEqual([]);
    expect(await derived(cloud.store)).toEqual(expected);
  }, 180_000);
});
