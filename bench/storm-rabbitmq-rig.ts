/**
 * The processes of the RabbitMQ storm (bench/storm-rabbitmq.ts): its own PostgreSQL server seeded with the
 * master data and gateways, its own RabbitMQ node, the clouds, and what the storm costs them. Kept apart
 * from the storm's sampling so each reads on its own; the storm drives the rig, the rig owns the cleanup.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudStore, openDatabase, registerGateway } from '@coldtrace/cloud';
import { freePort } from '@coldtrace/shared/testing';
import pg from 'pg';
import { CloudCliProcess } from '../cloud/test/ingest/cloud-cli-process.js';
import { RabbitmqNode } from '../cloud/test/ingest/rabbitmq-node.js';
import { PgNode, pgNodeMissing } from '../cloud/test/store/pg-node.js';
import {
  authCalls,
  brokerLogSummary,
  cpuOf,
  ingestedReadings,
  ownBeam,
  pidsWith,
} from './storm-diagnostics.js';
import { backlog, LOCATIONS, out, percentile, room } from './storm-load.js';
import type { RabbitmqStormOptions } from './storm-rabbitmq.js';

// The ingestors' AMQP account; the clouds answer the broker's question about it from their amqpUrl.
const INGESTOR = { username: 'coldtrace-ingestor', password: 'storm-ingestor-secret-0123456789' };

export async function waitFor(
  what: string,
  timeoutMs: number,
  intervalMs: number,
  ok: () => Promise<boolean>,
) {
  const t = performance.now();
  while (!(await ok())) {
    if (performance.now() - t > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * What the rig has started so far: filled in as each process comes up, so `closeRig` stops exactly
 * those when a start fails half-way.
 */
export interface StormRig {
  /** The clouds' configurations and logs (`cloud-N.yaml`, `cloud-N.log`). */
  dir: string;
  pgNode: PgNode;
  store?: CloudStore;
  node?: RabbitmqNode;
  db?: pg.Client;
  clouds: CloudCliProcess[];
}

/** What this machine lacks to run the rig (PostgreSQL or RabbitMQ), if anything. */
export function rigMissing(): string | undefined {
  return (
    pgNodeMissing() ??
    (existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server')
      ? undefined
      : "Debian's rabbitmq-server not installed (deploy/dev-services.sh)")
  );
}

/** The rig's PostgreSQL server; the rest comes with `seedRig` and `startRig`. */
export async function createRig(dir: string): Promise<StormRig> {
  return { dir, pgNode: await PgNode.create(), clouds: [] };
}

/**
 * Master data and gateways written before the clouds start (migrates the database); the gateways'
 * secrets and backlogs.
 */
export async function seedRig(rig: StormRig, o: RabbitmqStormOptions, t0: number) {
  const dbUrl = await rig.pgNode.createDatabase('coldtrace');
  const store = new CloudStore(await openDatabase(dbUrl));
  rig.store = store;
  for (let l = 0; l < LOCATIONS; l++) await store.upsertLocation(room(`loc-${l}`), t0);
  for (let i = 0; i < o.samples; i++) await store.upsertLocation(room(`probe-${i}`), t0);
  const secrets: string[] = [];
  for (let g = 0; g < o.gateways; g++) secrets.push(await registerGateway(store, { id: `gw-${g}`, now: t0 }));
  const probeSecret = await registerGateway(store, { id: 'probe', now: t0 });
  await store.close();
  rig.store = undefined;
  const payloads = Array.from({ length: o.gateways }, (_, g) => backlog(g, o.backlog, t0));
  return { dbUrl, secrets, probeSecret, payloads };
}

/** The broker and `o.ingestors` clouds, ready (consuming the queues), and a connection to the database. */
export async function startRig(rig: StormRig, o: RabbitmqStormOptions, dbUrl: string) {
  const ports = await Promise.all(Array.from({ length: o.ingestors }, () => freePort()));
  const node = await RabbitmqNode.create(`http://127.0.0.1:${ports[0]}`);
  rig.node = node;
  const amqpUrl = `amqp://${INGESTOR.username}:${INGESTOR.password}@127.0.0.1:${node.amqpPort}/`;
  for (const [i, port] of ports.entries())
    rig.clouds.push(
      new CloudCliProcess(`cloud-${i + 1}`, rig.dir, {
        database: dbUrl,
        http: { host: '127.0.0.1', port },
        mqtt: {
          embedded: { enabled: false },
          rabbitmq: { amqpUrl, prefetch: 64, queuePrefix: 'coldtrace' },
        },
        evaluation: { debounceMs: 10, urgentLane: o.urgentLane !== false },
        // info: the request log is where the broker's auth calls are counted.
        logLevel: 'info',
      }),
    );
  await Promise.all(rig.clouds.map((c) => c.start()));
  await waitFor('the clouds ready (consuming the queues)', 120_000, 200, async () =>
    (await Promise.all(rig.clouds.map((c) => c.ready()))).every((r) => r.status === 200),
  );
  const db = new pg.Client({ connectionString: dbUrl });
  rig.db = db;
  await db.connect();
  return { node, db };
}

/**
 * Starts counting what the storm costs the broker's side (CPU per process, the first cloud's auth calls
 * from `logStart` on, the broker's log from now on); the returned function prints it up to `logEnd`.
 */
export function brokerCosts(rig: StormRig, node: RabbitmqNode, o: RabbitmqStormOptions, logStart: number) {
  const roots: Record<string, number> = { 'gateways (this process)': process.pid };
  for (const [i, c] of rig.clouds.entries()) {
    const [pid] = pidsWith(join(rig.dir, `cloud-${i + 1}.yaml`));
    if (pid) roots[c.name] = pid;
  }
  const beam = ownBeam();
  if (beam) roots.rabbitmq = beam;
  const postmaster = readFileSync(join(rig.pgNode.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
  roots.postgresql = Number(postmaster);
  const cpuBefore = cpuOf(roots);
  const logOffset = node.log().length;

  return async (logEnd: number) => {
    const cpuAfter = cpuOf(roots);
    const auth = authCalls(join(rig.dir, 'cloud-1.log'), logStart, logEnd);
    const calls = Object.values(auth.times)
      .flat()
      .sort((a, b) => a - b);
    out('storm_broker_auth_calls', calls.length, 'requests', {
      byPath: Object.fromEntries(Object.entries(auth.times).map(([p, t]) => [p, t.length])),
      spanS: Math.round(auth.spanS * 100) / 100,
      p50Ms: calls.length ? Math.round(percentile(calls, 50) * 10) / 10 : null,
      p99Ms: calls.length ? Math.round(percentile(calls, 99) * 10) / 10 : null,
      maxMs: calls.length ? Math.round(percentile(calls, 100)) : null,
    });
    out(
      'storm_cpu',
      Object.keys(roots).reduce((s, k) => s + cpuAfter[k]! - cpuBefore[k]!, 0),
      's',
      {
        byProcess: Object.fromEntries(
          Object.keys(roots).map((k) => [k, Math.round((cpuAfter[k]! - cpuBefore[k]!) * 10) / 10]),
        ),
      },
    );
    out('storm_ingested', o.gateways * o.backlog, 'readings', await ingestedReadings(rig.clouds));
    // What the broker logged: its auth backend failing to reach the cloud, refused or dropped connections.
    // From the storm on (the node logs the clouds' first logins, refused before their HTTP was up).
    const broker = brokerLogSummary(node.log().slice(logOffset));
    out('storm_broker_log', broker.errors, 'errors', broker.byCause);
  };
}

/** Stops what the rig started: the database connection, the clouds, the broker, PostgreSQL. */
export async function closeRig(rig: StormRig): Promise<void> {
  await rig.db?.end().catch(() => {});
  for (const c of rig.clouds) await c.stop().catch(() => {});
  await rig.node?.destroy().catch(() => {});
  await rig.store?.close().catch(() => {});
  await rig.pgNode.destroy();
}
