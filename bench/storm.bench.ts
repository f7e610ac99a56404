/**
 * `npm run bench -- storm [--gateways=1000] [--backlog=1000] [--samples=100] [--deployment=embedded|rabbitmq]
 * [--ingestors=2] [--probe-topic=readings-live|readings] [--urgent-lane=on|off]`: a reconnect storm on the embedded deployment (aedes + SQLite, docs/performance.md
 * "Reconnect storm"), or with `--deployment=rabbitmq` on the RabbitMQ one (bench/storm-rabbitmq.ts, which
 * says what it adds). Every gateway held `--backlog` readings while the cloud was away; all reconnect at the
 * same instant and send them (batches of 500, 4 in flight, as the edge publisher does). Measured:
 *  - storm_drained: from the first CONNECT to every reading stored and the derived state flushed, with the
 *    stored count checked against what was sent (no loss) and against the sequence numbers (no duplicate);
 *  - storm_lock_latency p50/p99: during the storm, a probe gateway sends a critical reading for a location
 *    holding a unit, `--samples` times; from the publish to the unit's lock in the store. On RabbitMQ it
 *    publishes on `readings-live`, as the edge sends a live batch (docs/architecture.md "Live readings");
 *    `--probe-topic=readings` measures a cloud whose live readings share the backlog's queue.
 * Goals (issue 17 item 7): drained ≤ 30 s, lock p99 ≤ 1 s. The gateways are simulated (MQTT.js clients with
 * pre-encoded batches: their encoding is other machines' work) and all share this machine's loopback
 * address, so the broker's per-source connection rate is lifted for the run; in the field each gateway
 * has its own address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerGateway, startCloud } from '@coldtrace/cloud';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import {
  arg,
  backlog,
  epcOf,
  LOCATIONS,
  out,
  percentile,
  probeCritical,
  probeMovements,
  publishAll,
  room,
  stringArg,
} from './storm-load.js';

const GATEWAYS = arg('gateways', 1000);
const BACKLOG = arg('backlog', 1000);
const SAMPLES = arg('samples', 100);
const DEPLOYMENT = stringArg('deployment', 'embedded');
const T0 = Date.now() - 3_600_000;

if (DEPLOYMENT === 'rabbitmq') {
  const { rabbitmqStorm } = await import('./storm-rabbitmq.js');
  await rabbitmqStorm({
    gateways: GATEWAYS,
    backlog: BACKLOG,
    samples: SAMPLES,
    ingestors: arg('ingestors', 2),
    probeTopic: probeTopic(stringArg('probe-topic', 'readings-live')),
    urgentLane: onOff(stringArg('urgent-lane', 'on')),
  });
} else if (DEPLOYMENT === 'embedded') await embeddedStorm();
else throw new Error(`--deployment=${DEPLOYMENT}: embedded or rabbitmq`);

function onOff(v: string): boolean {
  if (v === 'on' || v === 'off') return v === 'on';
  throw new Error(`--urgent-lane=${v}: on or off`);
}

function probeTopic(t: string): 'readings' | 'readings-live' {
  if (t === 'readings' || t === 'readings-live') return t;
  throw new Error(`--probe-topic=${t}: readings-live or readings`);
}

async function embeddedStorm(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-storm-'));
  out('machine', availableParallelism(), 'cpus', {
    load1: loadavg()[0],
    gateways: GATEWAYS,
    backlog: BACKLOG,
  });
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'storm.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: {
        embedded: {
          host: '127.0.0.1',
          port: 0,
          connectionRate: { burst: GATEWAYS + 10, perSecond: GATEWAYS },
          connectTimeoutMs: 60_000,
        },
      },
      evaluation: { debounceMs: 10 },
      logLevel: 'silent',
    },
    { log: pino({ level: 'silent' }) },
  );
  try {
    for (let l = 0; l < LOCATIONS; l++) await cloud.store.upsertLocation(room(`loc-${l}`), T0);
    const secrets: string[] = [];
    for (let g = 0; g < GATEWAYS; g++)
      secrets.push(await registerGateway(cloud.store, { id: `gw-${g}`, now: T0 }));
    const payloads = Array.from({ length: GATEWAYS }, (_, g) => backlog(g, BACKLOG, T0));

    // Probe locations, each holding one unit (moved in before the storm).
    const probeSecret = await registerGateway(cloud.store, { id: 'probe', now: T0 });
    const probe = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'probe',
      username: 'probe',
      password: probeSecret,
      reconnectPeriod: 0,
    });
    for (let i = 0; i < SAMPLES; i++) await cloud.store.upsertLocation(room(`probe-${i}`), T0);
    await probe.publishAsync('coldtrace/v1/gw/probe/movements', probeMovements(SAMPLES, T0), { qos: 1 });
    await cloud.evaluator.flush();
    const sqlite = cloud.store.opened.sqlite!;
    const lockedQuery = sqlite.prepare("SELECT 1 FROM locks WHERE epc = ? AND state = 'active' LIMIT 1");

    // The storm: every gateway connects at once and sends its backlog.
    const started = performance.now();
    let acked = 0;
    const clients: MqttClient[] = [];
    // A refused or reset connection is retried as a gateway does (1 s); counted, not fatal.
    let connectionErrors = 0;
    const storm = Promise.all(
      payloads.map(async (p, g) => {
        const c = mqtt.connect(cloud.mqttUrl!, {
          clientId: `gw-${g}`,
          username: `gw-${g}`,
          password: secrets[g],
          clean: false,
          reconnectPeriod: 1000,
          reconnectOnConnackError: true,
          connectTimeout: 60_000,
        });
        c.on('error', () => {
          connectionErrors++;
        });
        clients.push(c);
        await new Promise<void>((resolve) => c.once('connect', () => resolve()));
        await publishAll(c, g, p);
        acked++;
      }),
    );

    // Critical readings during the storm, one probe location after the other.
    const latencies: number[] = [];
    let probeSeq = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const payload = probeCritical(i, ++probeSeq, T0);
      const t = performance.now();
      probe.publish('coldtrace/v1/gw/probe/readings', payload, { qos: 1 });
      while (!lockedQuery.get(epcOf(i))) {
        if (performance.now() - t > 60_000) throw new Error(`probe ${i}: no lock after 60 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      latencies.push(performance.now() - t);
      // Only samples taken while the storm lasts count.
      if (acked === GATEWAYS) {
        out('note', i + 1, 'samples', { detail: 'the storm ended before all samples were taken' });
        break;
      }
    }
    await storm;
    const expected = GATEWAYS * BACKLOG;
    for (;;) {
      const { readings } = await cloud.store.counts();
      if (readings >= expected + probeSeq) break;
      if (performance.now() - started > 600_000)
        throw new Error(`stored ${readings} of ${expected + probeSeq}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await cloud.evaluator.flush();
    const drainedS = (performance.now() - started) / 1000;
    const { readings } = await cloud.store.counts();
    const distinct = (
      sqlite
        .prepare(
          "SELECT COUNT(*) AS n FROM (SELECT DISTINCT gateway_id, seq FROM readings WHERE gateway_id LIKE 'gw-%')",
        )
        .get() as {
        n: number;
      }
    ).n;
    if (readings !== expected + probeSeq || distinct !== expected)
      throw new Error(
        `stored ${readings} rows, ${distinct} distinct gateway readings; sent ${expected} + ${probeSeq}`,
      );
    out('storm_drained', drainedS, 's', {
      goal: 30,
      readings: expected,
      rate: Math.round(expected / drainedS),
      loss: 0,
      duplicates: 0,
      connectionErrors,
    });
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => percentile(latencies, p);
    out('storm_lock_latency_p50', pct(50), 'ms', { samples: latencies.length });
    out('storm_lock_latency_p99', pct(99), 'ms', { goal: 1000, samples: latencies.length, max: pct(100) });
    out('machine_after', loadavg()[0]!, 'load1');
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await probe.endAsync(true);
  } finally {
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
