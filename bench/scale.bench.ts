/**
 * `npm run bench -- scale [--readings=200000] [--ingestors=1,2,3] [--gateways=10] [--prefetch=64]
 * [--no-sqlite] [--profile[=N]]`: scale-out ingest on RabbitMQ and PostgreSQL (issue 17 item 3,
 * docs/performance.md "Scale-out ingest"), everything on this machine.
 *
 * Our own PostgreSQL instance (cloud/test/store/pg-node.ts) and RabbitMQ node (rabbitmq-node.ts, the
 * production config of deploy/rabbitmq with its quorum queues and MQTT plugin); the ingestors are real
 * `coldtrace cloud --config` processes (AMQP ingest with group commit, evaluation engine, HTTP), as in
 * scale-out-restarts.svc.test.ts. For each ingestor count N, on a fresh database:
 *  1. the N ingestors start and consume, then are paused (SIGSTOP) while simulated gateways publish the
 *     backlog over the MQTT plugin (pre-encoded batches of 500, QoS 1, 4 in flight per gateway): the
 *     quorum queues hold it;
 *  2. the ingestors resume (SIGCONT) and drain it: the drain ends when every reading is stored and every
 *     evaluation mark cleared (the derived state is flushed);
 *  3. checked: stored = published, no duplicate, no dead letter, the queues empty.
 * Measured: the drain rate from the first to the last commit (PostgreSQL commit timestamps), and CPU
 * (utime + stime of each process tree from /proc) of the ingestors, of every process of the PostgreSQL
 * instance and of the RabbitMQ node: during the drain, and the broker's during the publish too (taking the
 * backlog in is its work per reading as well). The reference in the same run: the embedded cloud
 * (aedes + SQLite, one `coldtrace cloud` process) fed the same batches live, from the first publish to
 * stored and flushed. `--profile[=N]`: one more drain with N ingestors (default 1) under `--cpu-prof`:
 * one ingestor's self time by package, and pg_stat_statements' top statements. Prints JSON lines {bench, metric, value, unit, goal?, ...} with the load average.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStore, openDatabase, registerGateway } from '@coldtrace/cloud';
import { freePort, until } from '@coldtrace/shared/testing';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { startBrokerAuth, TEST_INGESTOR } from '../cloud/test/ingest/broker-auth-server.js';
import { CloudCliProcess } from '../cloud/test/ingest/cloud-cli-process.js';
import { RabbitmqNode } from '../cloud/test/ingest/rabbitmq-node.js';
import { PgNode } from '../cloud/test/store/pg-node.js';
import { profileIn, summarizeProfile } from './cpu-profile-summary.js';
import { cpuDelta, findPids, treeCpuSeconds } from './proc-cpu.js';
import { backlog, GOALS, gatewayId, LOCATIONS_PER_GATEWAY, room } from './scale-input.js';

const BENCH = 'scale';
const arg = (name: string, dflt: string) =>
  process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const flag = (name: string) => process.argv.includes(`--${name}`);
const GATEWAYS = Number(arg('gateways', '10'));
const TOTAL = Math.floor(Number(arg('readings', '200000')) / GATEWAYS / 500) * 500 * GATEWAYS;
const INGESTORS = arg('ingestors', '1,2,3').split(',').map(Number);
const PREFETCH = Number(arg('prefetch', '64'));
const WINDOW = 4;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const out = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ bench: BENCH, metric, value: round(value), unit, ...extra })}\n`);
const load = () => loadavg().map((x) => round(x));
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

const payloads = Array.from({ length: GATEWAYS }, (_, g) => backlog(g, TOTAL / GATEWAYS));

/** Registers the gateways and their locations in a migrated store; returns their secrets. */
async function setUp(store: CloudStore, now: number): Promise<string[]> {
  const secrets: string[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    secrets.push(await registerGateway(store, { id: gatewayId(g), now }));
    for (let l = 0; l < LOCATIONS_PER_GATEWAY; l++) await store.upsertLocation(room(g, l), now);
  }
  return secrets;
}

async function connectGateways(url: string, secrets: string[]): Promise<MqttClient[]> {
  return Promise.all(
    secrets.map((password, g) =>
      mqtt.connectAsync(url, {
        clientId: gatewayId(g),
        username: gatewayId(g),
        password,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ),
  );
}

/** Every gateway publishes its backlog, WINDOW batches in flight, QoS 1: resolves once all are acknowledged. */
async function publishAll(clients: MqttClient[]): Promise<void> {
  await Promise.all(
    clients.map(async (c, g) => {
      let next = 0;
      const worker = async () => {
        while (next < payloads[g]!.length) {
          const p = payloads[g]![next++]!;
          await c.publishAsync(`coldtrace/v1/gw/${gatewayId(g)}/readings`, p, { qos: 1 });
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, worker));
    }),
  );
}

/** Readings stored (the merged sequence ranges: a small table) and evaluation marks left. */
const PROGRESS = `SELECT (SELECT coalesce(sum(to_seq - from_seq + 1), 0) FROM stream_ranges WHERE stream = 'readings') AS stored,
  (SELECT count(*) FROM evaluation_marks) AS marks`;

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scale-bench-'));
const machine = { cores: availableParallelism(), node: process.version };
out('machine', machine.cores, 'cpus', {
  ...machine,
  load_start: load(),
  readings: TOTAL,
  gateways: GATEWAYS,
  batch: 500,
  prefetch: PREFETCH,
});
const pgNode = await PgNode.create();
let node: RabbitmqNode | undefined;
let auth: Awaited<ReturnType<typeof startBrokerAuth>> | undefined;
const cleanup: Array<() => Promise<unknown>> = [];
try {
  // Commit timestamps: the drain is timed from the first to the last commit of readings.
  const admin = new CloudStore(await openDatabase(pgNode.url()));
  await sql`ALTER SYSTEM SET track_commit_timestamp = on`.execute(admin.db);
  await admin.close();
  await pgNode.stop();
  await pgNode.start();
  const postmaster = () =>
    Number(readFileSync(join(pgNode.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

  // Gateway logins at the RabbitMQ node are answered from this database (the HTTP auth backend).
  // Its connections outlive the restart of PostgreSQL before `--profile`'s run.
  const authStore = new CloudStore(
    await openDatabase(await pgNode.createDatabase('coldtrace_auth'), { onConnectionError: () => {} }),
  );
  cleanup.push(() => authStore.close());
  const secrets = await setUp(authStore, Date.now());
  auth = await startBrokerAuth(authStore);
  node = await RabbitmqNode.create(auth.url);
  const beam = findPids('beam.smp', `RABBITMQ_NODENAME=${node.nodeName}`);
  if (beam.length === 0) throw new Error(`no beam.smp process of ${node.nodeName}`);
  // A paused ingestor misses AMQP heartbeats while the backlog is published: 60 s (the broker's default)
  // instead of the source's 10 s leaves it connected for 2 min.
  const amqpUrl = `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/?heartbeat=60`;

  const scaleRun = async (n: number, profileDir?: string) => {
    const name = profileDir ? 'profiled' : `n${n}`;
    const dbUrl = await pgNode.createDatabase(`coldtrace_${name}`);
    const store = new CloudStore(await openDatabase(dbUrl));
    const clouds: CloudCliProcess[] = [];
    try {
      await setUp(store, Date.now());
      for (let i = 0; i < n; i++) {
        const nodeOptions = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
        const config = {
          database: dbUrl,
          http: { host: '127.0.0.1', port: await freePort() },
          mqtt: {
            embedded: { enabled: false },
            rabbitmq: { amqpUrl, prefetch: PREFETCH, queuePrefix: 'coldtrace' },
          },
          evaluation: { debounceMs: 50 },
          logLevel: 'warn',
        };
        clouds.push(new CloudCliProcess(`${name}-ingestor-${i + 1}`, dir, config, nodeOptions));
      }
      await Promise.all(clouds.map((c) => c.start()));
      await until(
        async () => (await Promise.all(clouds.map((c) => c.ready()))).every((r) => r.status === 200),
        'ingestors ready (consuming the queues)',
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      const pids = clouds.map((c) => c.pid!);
      const trees = () => treeCpuSeconds({ ingestors: pids, postgres: [postmaster()], rabbitmq: beam });
      for (const p of pids) process.kill(p, 'SIGSTOP');
      const gateways = await connectGateways(node!.mqttUrl, secrets);
      const cpu0 = trees();
      const p0 = performance.now();
      await publishAll(gateways);
      const publishS = (performance.now() - p0) / 1000;
      const cpu1 = trees();
      await Promise.all(gateways.map((c) => c.endAsync()));
      const cpu2 = trees();
      if (profileDir) {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(store.db);
        await sql`SELECT pg_stat_statements_reset()`.execute(store.db);
      }
      const d0 = performance.now();
      const from = monoUs();
      for (const p of pids) process.kill(p, 'SIGCONT');
      await until(
        async () => {
          const { rows } = await sql<{ stored: string; marks: string }>`${sql.raw(PROGRESS)}`.execute(
            store.db,
          );
          return Number(rows[0]!.stored) >= TOTAL && Number(rows[0]!.marks) === 0;
        },
        'backlog stored and evaluated',
        { timeoutMs: 600_000, intervalMs: 100 },
      );
      const to = monoUs();
      const settledS = (performance.now() - d0) / 1000;
      const cpu3 = trees();
      const statements = profileDir
        ? (
            await sql<{ query: string; calls: string; ms: number; rows: string }>`
              SELECT query, calls, total_exec_time AS ms, rows FROM pg_stat_statements
              WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              ORDER BY total_exec_time DESC LIMIT 12`.execute(store.db)
          ).rows
        : [];
      await Promise.all(clouds.map((c) => c.stop()));

      // No loss, no duplicate, no dead letter, nothing left queued.
      const { rows: check } = await sql<{ n: string; distinct_n: string; dead: string }>`
        SELECT (SELECT count(*) FROM readings) AS n,
          (SELECT count(*) FROM (SELECT DISTINCT gateway_id, seq FROM readings) d) AS distinct_n,
          (SELECT count(*) FROM dead_letters) AS dead`.execute(store.db);
      const c = check[0]!;
      if (Number(c.n) !== TOTAL || Number(c.distinct_n) !== TOTAL || Number(c.dead) !== 0)
        throw new Error(
          `${n} ingestors: stored ${c.n} (${c.distinct_n} distinct) of ${TOTAL}, ${c.dead} dead letters`,
        );
      // The node's queue counts are its statistics, refreshed every few seconds.
      await until(
        async () => Object.values(await node!.queues()).every((q) => q.messages === 0),
        'the queues empty',
        { timeoutMs: 30_000, intervalMs: 1000 },
      );
      const { rows: commits } = await sql<{ t: string; rows: string }>`
        SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS t, count(*) AS rows
        FROM readings GROUP BY 1 ORDER BY 1`.execute(store.db);
      const first = Number(commits[0]!.t);
      const last = Number(commits.at(-1)!.t);
      const afterFirst = TOTAL - Number(commits[0]!.rows);
      const drainS = (last - first) / 1000;
      return {
        publishS,
        settledS,
        drainS,
        commits: commits.length,
        rate: afterFirst / drainS,
        publish: cpuDelta(cpu0, cpu1),
        drain: cpuDelta(cpu2, cpu3),
        window: { from, to },
        statements,
      };
    } finally {
      // A paused ingestor would not see its SIGTERM.
      for (const c of clouds) if (c.pid) process.kill(c.pid, 'SIGCONT');
      await Promise.all(clouds.map((c) => c.stop()));
      await store.close();
    }
  };

  const results = new Map<number, Awaited<ReturnType<typeof scaleRun>>>();
  for (const n of INGESTORS) {
    const loadBefore = load();
    const r = await scaleRun(n);
    results.set(n, r);
    const us = (s: number) => (s / TOTAL) * 1e6;
    const brokerUs = us(r.publish.rabbitmq! + r.drain.rabbitmq!);
    const totalUs = us(r.drain.ingestors!) + us(r.drain.postgres!) + brokerUs;
    const common = { ingestors: n, readings: TOTAL, load_before: loadBefore, load_after: load() };
    out('scale_drain_rate', r.rate, 'readings/s', {
      ...common,
      ...(n === 2 ? { goal: GOALS.rate2, goal_met: r.rate >= GOALS.rate2 } : {}),
      what: 'queued backlog drained by the ingestors into PostgreSQL, first to last commit',
      drain_s: round(r.drainS),
      settled_s: round(r.settledS),
      commits: r.commits,
      loss: 0,
      duplicates: 0,
    });
    out('scale_publish_rate', TOTAL / r.publishS, 'readings/s', {
      ...common,
      what: 'gateways -> RabbitMQ MQTT plugin -> quorum queue, QoS 1, ingestors paused',
    });
    out('scale_cpu_per_reading', totalUs, 'us', {
      ...common,
      goal: GOALS.cpuUs,
      goal_met: totalUs <= GOALS.cpuUs,
      ingestors_us: round(us(r.drain.ingestors!)),
      postgres_us: round(us(r.drain.postgres!)),
      rabbitmq_us: round(brokerUs),
      rabbitmq_publish_us: round(us(r.publish.rabbitmq!)),
      rabbitmq_drain_us: round(us(r.drain.rabbitmq!)),
      postgres_publish_us: round(us(r.publish.postgres!)),
      cpu_bound_rate: Math.round((machine.cores / totalUs) * 1e6),
    });
  }

  if (!flag('no-sqlite')) {
    const loadBefore = load();
    const file = join(dir, 'embedded.db');
    const setupStore = new CloudStore(await openDatabase(`sqlite:${file}`));
    const sqliteSecrets = await setUp(setupStore, Date.now());
    await setupStore.close();
    const mqttPort = await freePort();
    const cloud = new CloudCliProcess('embedded', dir, {
      database: `sqlite:${file}`,
      http: { host: '127.0.0.1', port: await freePort() },
      mqtt: { embedded: { host: '127.0.0.1', port: mqttPort } },
      evaluation: { debounceMs: 50 },
      logLevel: 'warn',
    });
    cleanup.push(() => cloud.stop());
    await cloud.start();
    const db = new Sqlite(file, { readonly: true });
    const gateways = await connectGateways(`mqtt://127.0.0.1:${mqttPort}`, sqliteSecrets);
    const tree = () => treeCpuSeconds({ cloud: [cloud.pid!] });
    const cpu0 = tree();
    const t0 = performance.now();
    await publishAll(gateways);
    let storedAt = 0;
    await until(
      () => {
        const r = db.prepare(PROGRESS).get() as { stored: number; marks: number };
        if (r.stored >= TOTAL && storedAt === 0) storedAt = performance.now();
        return r.stored >= TOTAL && r.marks === 0;
      },
      'embedded cloud stored and evaluated',
      { timeoutMs: 600_000, intervalMs: 50 },
    );
    const settledS = (performance.now() - t0) / 1000;
    const cpu = cpuDelta(cpu0, tree()).cloud!;
    const n = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    if (n !== TOTAL) throw new Error(`embedded cloud stored ${n} of ${TOTAL}`);
    db.close();
    await Promise.all(gateways.map((c) => c.endAsync()));
    await cloud.stop();
    const rate = TOTAL / ((storedAt - t0) / 1000);
    const cpuUs = (cpu / TOTAL) * 1e6;
    out('embedded_rate', rate, 'readings/s', {
      readings: TOTAL,
      what: 'gateways -> aedes -> ingest -> SQLite -> engine in one coldtrace cloud process, live publish',
      settled_s: round(settledS),
      load_before: loadBefore,
      load_after: load(),
    });
    out('embedded_cpu_per_reading', cpuUs, 'us', {
      readings: TOTAL,
      cpu_bound_rate: Math.round((machine.cores / cpuUs) * 1e6),
    });
    for (const [k, r] of results) {
      const totalUs =
        ((r.drain.ingestors! + r.drain.postgres! + r.publish.rabbitmq! + r.drain.rabbitmq!) / TOTAL) * 1e6;
      out('scale_ratio_to_embedded', r.rate / rate, 'x', {
        ingestors: k,
        what: 'drain rate / embedded rate; cpu_ratio: CPU per reading / embedded CPU per reading',
        cpu_ratio: round(totalUs / cpuUs),
      });
    }
  }

  const profiled = process.argv.find((x) => x === '--profile' || x.startsWith('--profile='));
  if (profiled) {
    const n = Number(profiled.split('=')[1] ?? 1);
    const profDir = join(dir, 'profile');
    mkdirSync(profDir);
    // Time per statement in PostgreSQL: pg_stat_statements is loaded at server start.
    const admin = new CloudStore(await openDatabase(pgNode.url()));
    await sql`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`.execute(admin.db);
    await admin.close();
    await pgNode.stop();
    await pgNode.start();
    const r = await scaleRun(n, profDir);
    const f = profileIn(profDir);
    if (!f) throw new Error(`no CPU profile written in ${profDir}`);
    const s = summarizeProfile(f, r.window.from, r.window.to);
    out('profile_drain_rate', r.rate, 'readings/s', {
      ingestors: n,
      samples: s.samples,
      note: 'under --cpu-prof; the profile of one ingestor, the statements of all',
    });
    for (const o of s.byOrigin.slice(0, 15))
      out('profile_origin', o.share * 100, '%', { origin: o.name, ms: round(o.ms, 0) });
    for (const o of s.byFunction.slice(0, 15))
      out('profile_function', o.share * 100, '%', { function: o.name, ms: round(o.ms, 0) });
    const pgTotal = r.statements.reduce((sum, x) => sum + x.ms, 0);
    for (const x of r.statements)
      out('profile_statement', (x.ms / TOTAL) * 1000, 'us/reading', {
        calls: Number(x.calls),
        rows: Number(x.rows),
        share_of_top: round(x.ms / pgTotal, 3),
        query: x.query.replace(/\s+/g, ' ').slice(0, 240),
      });
  }
  out('machine_after', loadavg()[0]!, 'load1', { load_end: load() });
} finally {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  await node?.destroy();
  await auth?.app.close();
  await pgNode.destroy();
  rmSync(dir, { recursive: true, force: true });
}
