/**
 * `npm run bench -- buffer` (or `npx tsx bench/buffer.bench.ts [--backlog=N]`): the durable buffer
 * and publisher. Prints one JSON object per line: bench, metric, value, unit (+ reference).
 *  - sqlite_insert_rate: plain better-sqlite3 inserts, WAL, synchronous=FULL, 500 rows per
 *    transaction (the reference, measured in the same run, interleaved with the next metric);
 *  - durable_append_rate: RecordBuffer.append of readings, 500 per call (validation, JSON, seqs,
 *    accounting included), synchronous=FULL;
 *  - peak_rss_backlog: peak RSS of a gateway process holding a 1,000,000-reading backlog: it opens
 *    the buffer (built by another process, as hours of outage would), reads its status and pages
 *    through the whole backlog as the publisher does (`peekJson`, 5000 records as stored JSON text per
 *    page; child process, so earlier phases do not count); peak_rss_build reports the process that
 *    appended the backlog at full speed, for reference;
 *  - replay_backlog: time until a subscriber on an in-process aedes broker has counted every record
 *    of a 1,000,000-reading backlog replayed by the publisher after it connects;
 *  - replay_1m_into_cloud: the same backlog replayed into the real cloud (`startCloud`: embedded aedes,
 *    ingest, SQLite store, as the default deployment) from a gateway process (buffer + publisher in
 *    its own child, so its peak RSS is the gateway's alone), timed from connect until the buffer is
 *    empty (every batch PUBACKed, and the embedded broker PUBACKs only after the store committed);
 *    the store's row count is checked afterwards. gateway_peak_rss_replay_into_cloud reports that
 *    child's peak RSS while holding and replaying the backlog (goal ≤ 150 MB, a truck gateway).
 *  - gateway_start_to_first_publish, gateway_rss_idle, gateway_rss_replaying: a whole gateway
 *    (`coldtrace edge`, compiled, drivers running) against the tsx-run one (gateway-footprint.ts).
 *  Both replays publish with the gateway's default batching (DEFAULT_BATCH, DEFAULT_INFLIGHT_WINDOW in
 *  edge/src/publisher/publisher-config.ts: 5000 records per batch, 4 in flight) and print these settings. Each child runs this file under tsx
 *  (~60 MB of its RSS) with the bench's own flags (`--import tsx --expose-gc`; nothing calls gc), no
 *  heap flag, as `coldtrace edge` runs. What the gateway's memory goes to, and what changed it on
 *  2026-11-26: docs/durability.md "Round 3".
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublisher, DEFAULT_BATCH, DEFAULT_INFLIGHT_WINDOW, openSqliteBuffer } from '@coldtrace/edge';
import { systemClock } from '@coldtrace/shared';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pino from 'pino';
import { measureGatewayFootprint } from './gateway-footprint.js';

const BENCH = 'buffer';
const arg = (name: string, def: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const BACKLOG = arg('backlog', 1_000_000);
/**
 * The backlog's first reading: one reading a second that ends an hour ago, so that all of it is within
 * the cloud's ingest horizon (older readings are dead-lettered as stale_timestamp, not stored). Every
 * child gets it from the parent (--t0), so that all phases buffer the same readings.
 */
const T0 = arg('t0', Math.floor((Date.now() - BACKLOG * 1000 - 3_600_000) / 60_000) * 60_000);
const APPEND_N = arg('append', 300_000);
const out = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: BENCH, ...o }));
/** The replays' publisher settings: the gateway's defaults, as a gateway without batch settings runs. */
const REPLAY_BATCH = DEFAULT_BATCH;
const REPLAY_WINDOW = DEFAULT_INFLIGHT_WINDOW;
const replaySettings = `${REPLAY_BATCH.maxRecords} records per batch, ${REPLAY_WINDOW} in flight`;

const reading = (i: number) => ({
  sensorId: `s${i % 20}`,
  locationId: 'room-1',
  ts: T0 + i * 1000,
  tempC: 4 + (i % 13) / 10,
  rh: 50.5,
  quality: 'ok' as const,
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'coldtrace-bench-'));
  mkdirSync(d, { recursive: true });
  return d;
}

function referenceRate(n: number): number {
  const dir = tmp();
  const db = new Database(join(dir, 'ref.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const payloads = Array.from({ length: n }, (_, i) => JSON.stringify({ seq: i + 1, ...reading(i) }));
  const ins = db.prepare('INSERT INTO r (id, payload) VALUES (?, ?)');
  const tx = db.transaction((from: number) => {
    for (let k = from; k < from + 500 && k < n; k++) ins.run(k + 1, payloads[k]);
  });
  const t = performance.now();
  for (let i = 0; i < n; i += 500) tx(i);
  const rate = n / ((performance.now() - t) / 1000);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

function appendRate(n: number): number {
  const dir = tmp();
  const buf = openSqliteBuffer({ path: join(dir, 'b.db'), maxBytes: 2 ** 40, synchronous: 'FULL' });
  const batches: ReturnType<typeof reading>[][] = [];
  for (let i = 0; i < n; i += 500)
    batches.push(Array.from({ length: Math.min(500, n - i) }, (_, k) => reading(i + k)));
  const t = performance.now();
  for (const b of batches) buf.append('readings', b);
  const rate = n / ((performance.now() - t) / 1000);
  buf.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

function fill(path: string, n: number) {
  const buf = openSqliteBuffer({ path, maxBytes: 2 ** 40 });
  for (let i = 0; i < n; i += 500) {
    buf.append(
      'readings',
      Array.from({ length: Math.min(500, n - i) }, (_, k) => reading(i + k)),
    );
  }
  return buf;
}

/** Child: append the backlog at full speed into `path`. */
function childBuild(path: string) {
  const buf = fill(path, BACKLOG);
  const records = buf.stats().records;
  buf.close();
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, records }));
}

/** Child: open the backlog at `path` and page through it like the publisher does; report peak RSS. */
function childRss(path: string) {
  const buf = openSqliteBuffer({ path, maxBytes: 2 ** 40 });
  const stats = buf.stats();
  let after: number | undefined;
  let pages = 0;
  for (;;) {
    const p = buf.peekJson('readings', { afterSeq: after, limit: 5000 });
    if (!p) break;
    after = p.lastSeq;
    pages++;
  }
  buf.close();
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, records: stats.records, pages }));
}

/** Child: replay a backlog through the publisher into an in-process aedes broker and count. */
async function childReplay(path: string) {
  const buffer = openSqliteBuffer({ path, maxBytes: 2 ** 40 });
  if (buffer.stats().records !== BACKLOG) throw new Error(`expected a backlog of ${BACKLOG}`);
  // Imported here, not at the top: every child runs this file, and a gateway child must not carry the
  // cloud's (or the broker's) modules in its RSS (they cost ~70 MB under tsx: the 294-312 MB 'regression').
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-sub' });
  let counted = 0;
  let maxSeq = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => {
    done = r;
  });
  sub.on('message', (_t, payload) => {
    const batch = JSON.parse(payload.toString()) as { records: { seq: number }[] };
    for (const r of batch.records) {
      if (r.seq > maxSeq) {
        maxSeq = r.seq;
        counted++;
      }
    }
    if (counted >= BACKLOG) done();
  });
  await sub.subscribeAsync('coldtrace/v1/gw/+/readings', { qos: 1 });
  const pub = createPublisher({
    gatewayId: 'gw-bench',
    buffer,
    mqtt: { url: `mqtt://127.0.0.1:${port}` },
    batch: REPLAY_BATCH,
    inflightWindow: REPLAY_WINDOW,
    clock: systemClock,
    log: pino({ level: 'warn' }),
    version: 'bench',
  });
  const t = performance.now();
  pub.start();
  await all;
  const seconds = (performance.now() - t) / 1000;
  await pub.stop();
  await sub.endAsync(true);
  await new Promise<void>((r) => broker.close(() => r()));
  server.close();
  const left = buffer.stats().records;
  buffer.close();
  console.log(JSON.stringify({ seconds, counted, left, maxRssKb: process.resourceUsage().maxRSS }));
}

/** Child: the gateway side of replay_1m_into_cloud (buffer + publisher, as `coldtrace edge` runs them). */
async function childCloudReplay(path: string, url: string, password: string) {
  const buffer = openSqliteBuffer({ path, maxBytes: 2 ** 40 });
  if (buffer.stats().records !== BACKLOG) throw new Error(`expected a backlog of ${BACKLOG}`);
  const pub = createPublisher({
    gatewayId: 'gw-bench',
    buffer,
    mqtt: { url, username: 'gw-bench', password },
    batch: REPLAY_BATCH,
    inflightWindow: REPLAY_WINDOW,
    clock: systemClock,
    log: pino({ level: 'warn' }),
    version: 'bench',
  });
  let t = 0;
  pub.once('connected', () => {
    t = performance.now();
  });
  const empty = new Promise<void>((resolve) => {
    pub.on('acked', () => {
      if (buffer.stats().records === 0) resolve();
    });
  });
  pub.start();
  await empty;
  const seconds = (performance.now() - t) / 1000;
  await pub.stop();
  buffer.close();
  console.log(JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS }));
}

/** replay_1m_into_cloud: the cloud in this process, the gateway in a child. */
async function replayIntoCloud(path: string): Promise<Record<string, number>> {
  const { startCloud } = await import('@coldtrace/cloud');
  const { registerGateway } = await import('@coldtrace/cloud');
  const dir = tmp();
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      logLevel: 'error',
    },
    { log: pino({ level: 'error' }) },
  );
  try {
    const password = await registerGateway(cloud.store, { id: 'gw-bench', now: Date.now() });
    const r = await runChildAsync('cloud-replay', path, [`--url=${cloud.mqttUrl}`, `--password=${password}`]);
    const stored = (await cloud.store.counts()).readings;
    const cov = (await cloud.store.coverage('gw-bench')).find((c) => c.stream === 'readings');
    return { ...r, stored, holes: cov?.holes.length ?? -1 };
  } finally {
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** This file run again as a child in `mode`, with this run's backlog size and start time. */
function childArgs(mode: string, path: string, extra: string[] = []): string[] {
  const self = fileURLToPath(import.meta.url);
  return [
    ...process.execArgv,
    self,
    `--child=${mode}`,
    `--backlog=${BACKLOG}`,
    `--t0=${T0}`,
    `--path=${path}`,
    ...extra,
  ];
}

/** Like runChild, but leaves this process's event loop free (the cloud runs in it). */
async function runChildAsync(mode: string, path: string, extra: string[]): Promise<Record<string, number>> {
  const { spawn } = await import('node:child_process');
  const c = spawn(process.execPath, childArgs(mode, path, extra), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  c.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((res) => c.once('exit', res));
  if (code !== 0) throw new Error(`child ${mode} failed: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

function runChild(mode: string, path: string): Record<string, number> {
  const r = spawnSync(process.execPath, childArgs(mode, path), {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line);
}

async function main() {
  const child = process.argv.find((a) => a.startsWith('--child='))?.slice(8);
  const childPath = process.argv.find((a) => a.startsWith('--path='))?.slice(7) ?? '';
  if (child === 'build') return childBuild(childPath);
  if (child === 'rss') return childRss(childPath);
  if (child === 'replay') return childReplay(childPath);
  if (child === 'cloud-replay') {
    const flag = (n: string) => process.argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3) ?? '';
    return childCloudReplay(childPath, flag('url'), flag('password'));
  }

  if (process.argv.includes('--only=footprint')) {
    const dir = tmp();
    const path = join(dir, 'backlog.db');
    runChild('build', path);
    await measureGatewayFootprint({ backlogPath: path, backlog: BACKLOG, dir, out });
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  // Interleaved, best of three each: both sides see the same machine load.
  let ref = 0;
  let app = 0;
  for (let round = 0; round < 3; round++) {
    ref = Math.max(ref, referenceRate(APPEND_N));
    app = Math.max(app, appendRate(APPEND_N));
  }
  out({
    metric: 'sqlite_insert_rate',
    value: Math.round(ref),
    unit: 'rows/s',
    rowsPerTx: 500,
    synchronous: 'FULL',
  });
  out({
    metric: 'durable_append_rate',
    value: Math.round(app),
    unit: 'readings/s',
    reference: Math.round(ref),
    referenceMetric: 'sqlite_insert_rate',
    ratio: Math.round((app / ref) * 1000) / 1000,
    goal: 150_000,
    recordsPerAppend: 500,
    synchronous: 'FULL',
  });
  const dir = tmp();
  const path = join(dir, 'backlog.db');
  const build = runChild('build', path);
  const rss = runChild('rss', path);
  out({
    metric: 'peak_rss_backlog',
    value: Math.round((rss.maxRssKb! / 1024) * 10) / 10,
    unit: 'MB',
    backlog: BACKLOG,
    goal: 150,
    note: 'opens the backlog and pages through all of it',
  });
  out({
    metric: 'peak_rss_build',
    value: Math.round((build.maxRssKb! / 1024) * 10) / 10,
    unit: 'MB',
    backlog: BACKLOG,
  });
  const cloudPath = join(dir, 'backlog-cloud.db');
  copyFileSync(path, cloudPath);
  const footprintPath = join(dir, 'backlog-footprint.db');
  copyFileSync(path, footprintPath);
  const replay = runChild('replay', path);
  out({
    metric: 'replay_backlog',
    value: Math.round(replay.seconds! * 100) / 100,
    unit: 's',
    backlog: BACKLOG,
    rate: Math.round(BACKLOG / replay.seconds!),
    peakRssMb: Math.round((replay.maxRssKb! / 1024) * 10) / 10,
    goal: 20,
    left: replay.left,
    broker: 'aedes in-process',
    publisher: replaySettings,
  });
  const intoCloud = await replayIntoCloud(cloudPath);
  out({
    metric: 'replay_1m_into_cloud',
    value: Math.round(intoCloud.seconds! * 100) / 100,
    unit: 's',
    backlog: BACKLOG,
    rate: Math.round(BACKLOG / intoCloud.seconds!),
    rateUnit: 'readings/s',
    goal: 20,
    stored: intoCloud.stored,
    holes: intoCloud.holes,
    cloud: 'startCloud: embedded aedes + SQLite (same process as the bench driver)',
  });
  out({
    metric: 'gateway_peak_rss_replay_into_cloud',
    value: Math.round((intoCloud.maxRssKb! / 1024) * 10) / 10,
    unit: 'MB',
    backlog: BACKLOG,
    goal: 150,
    note: 'gateway child (buffer + publisher) holding and replaying the backlog into the cloud',
    publisher: replaySettings,
  });
  await measureGatewayFootprint({ backlogPath: footprintPath, backlog: BACKLOG, dir, out });
  rmSync(dir, { recursive: true, force: true });
}

await main();
