/**
 * `npm run bench -- recovery [--days=70] [--sensors=4] [--locations=1] [--chunk=10000]
 * [--quiet-proofs=8]`: whole-history
 * re-evaluation of each location (default one, 70 days, 4 sensors at 60 s ≈ 400,000 readings) on SQLite,
 * as a start recovers it (docs/architecture.md "Recovery"). Prints one JSON object per line (bench, metric, value, unit, …):
 *  - recovery_seconds (mode one_shot: one derive transaction, `chunkReadings` 0; mode chunked: chunks of
 *    `--chunk` readings, skipping quiet spans with at most `--quiet-proofs` proofs per chunk; mode
 *    chunked_no_skip: the same chunks, every reading evaluated) with the longest event-loop stall during it (`max_stall_ms`), the process's CPU
 *    seconds and the machine's load average; both modes must leave the same excursions and gaps;
 *  - startup: the cloud started on the same backlog: seconds until `/readyz` first answers (503
 *    "recovering") and until it answers 200 "ready".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { startCloud } from '../cloud/src/cloud.js';
import { DomainEngine } from '../cloud/src/engine/domain-engine.js';
import { DEFAULT_CHUNK_READINGS, DEFAULT_QUIET_PROOFS_PER_CHUNK } from '../cloud/src/engine/long-windows.js';
import { CloudStore } from '../cloud/src/store/cloud-store.js';
import { openDatabase } from '../cloud/src/store/db.js';
import { writeRecoveryBacklog } from '../cloud/test/helpers/recovery-backlog.js';

const BENCH = 'recovery';
const T0 = Date.UTC(2026, 0, 1);
const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const DAYS = arg('days', 70);
const SENSORS = arg('sensors', 4);
const LOCATIONS = arg('locations', 1);
const CHUNK = arg('chunk', DEFAULT_CHUNK_READINGS);
const QUIET_PROOFS = arg('quiet-proofs', DEFAULT_QUIET_PROOFS_PER_CHUNK);
const silent = pino({ level: 'silent' });
const machine = () => ({ cpus: availableParallelism(), load: loadavg().map((l) => Number(l.toFixed(2))) });
const print = (o: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ bench: BENCH, ...o })}\n`);

/** The longest the event loop went without running a timer, from start to stop (its last stall included). */
function stallMeter(): { stop(): number } {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, performance.now() - last);
    },
  };
}

async function backlog(dir: string): Promise<{ store: CloudStore; readings: number }> {
  const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  let readings = 0;
  for (let k = 1; k <= LOCATIONS; k++) {
    readings += await writeRecoveryBacklog(store, {
      locationId: `cold-room-${k}`,
      sensors: SENSORS,
      days: DAYS,
      intervalMs: 60_000,
      t0: T0,
    });
  }
  return { store, readings };
}

async function derived(store: CloudStore) {
  const excursions = await store.db
    .selectFrom('excursions')
    .select(['id', 'start_ts', 'end_ts', 'peak_c', 'sensor_ids', 'duration_ms'])
    .orderBy('start_ts')
    .execute();
  const gaps = await store.db.selectFrom('monitoring_gaps').selectAll().orderBy('from_ts').execute();
  return JSON.stringify({ excursions, gaps });
}

async function recover(mode: 'one_shot' | 'chunked' | 'chunked_no_skip'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-recovery-bench-'));
  try {
    const { store, readings } = await backlog(dir);
    const engine = new DomainEngine({
      store,
      clock: systemClock,
      log: silent,
      chunkReadings: mode === 'one_shot' ? 0 : CHUNK,
      skipQuiet: mode === 'chunked',
      quietProofsPerChunk: QUIET_PROOFS,
    });
    const stalls = stallMeter();
    const cpu = process.cpuUsage();
    const t = performance.now();
    await engine.recoverMarks({ atStart: true });
    await engine.flush();
    const seconds = (performance.now() - t) / 1000;
    const maxStall = stalls.stop();
    const used = process.cpuUsage(cpu);
    const left = await store.db.selectFrom('evaluation_marks').select('id').execute();
    if (left.length > 0) throw new Error(`${left.length} evaluation marks left`);
    const state = await derived(store);
    print({
      metric: 'recovery_seconds',
      mode,
      value: Number(seconds.toFixed(2)),
      unit: 's',
      readings,
      locations: LOCATIONS,
      chunk_readings: mode === 'one_shot' ? 0 : CHUNK,
      max_stall_ms: Number(maxStall.toFixed(1)),
      cpu_seconds: Number(((used.user + used.system) / 1e6).toFixed(2)),
      quiet_spans: engine.quiet.spans,
      quiet_proofs_per_chunk: mode === 'chunked' ? QUIET_PROOFS : 0,
      chunks: engine.chunked.chunks,
      excursions: JSON.parse(state).excursions.length,
      ...machine(),
    });
    await engine.close();
    await store.close();
    return state;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-recovery-bench-'));
  try {
    const { store, readings } = await backlog(dir);
    await store.close();
    const t = performance.now();
    let firstAnswer: number | undefined;
    let url = '';
    const cloudP = startCloud(
      {
        database: `sqlite:${join(dir, 'cloud.db')}`,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
        evaluation: { debounceMs: 200, chunkReadings: CHUNK },
        logLevel: 'silent',
      },
      { log: silent },
    );
    const cloud = await cloudP;
    url = cloud.httpUrl;
    const started = (performance.now() - t) / 1000;
    let statusAtFirst = '';
    for (;;) {
      const r = await fetch(`${url}/readyz`);
      const body = (await r.json()) as { status: string };
      if (firstAnswer === undefined) {
        firstAnswer = (performance.now() - t) / 1000;
        statusAtFirst = body.status;
      }
      if (r.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ready = (performance.now() - t) / 1000;
    print({
      metric: 'startup',
      readings,
      locations: LOCATIONS,
      started_s: Number(started.toFixed(2)),
      first_readyz_s: Number(firstAnswer.toFixed(2)),
      first_status: statusAtFirst,
      ready_s: Number(ready.toFixed(2)),
      unit: 's',
      ...machine(),
    });
    await cloud.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const oneShot = await recover('one_shot');
const noSkip = await recover('chunked_no_skip');
const chunked = await recover('chunked');
if (oneShot !== chunked || oneShot !== noSkip)
  throw new Error('chunked recovery left other excursions or gaps than one transaction');
print({ metric: 'same_derived_state', value: true });
await startup();
