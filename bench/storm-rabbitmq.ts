/**
 * `npm run bench -- storm --deployment=rabbitmq`: the reconnect storm (bench/storm.bench.ts) on the RabbitMQ
 * deployment (docs/operations.md "Several machines: RabbitMQ"): an own RabbitMQ node on deploy/rabbitmq/'s
 * configuration (MQTT plugin, quorum queues, HTTP auth against the cloud through the one-minute auth cache),
 * an own PostgreSQL server, and `--ingestors` (default 2) clouds as an operator runs them (`coldtrace cloud
 * --config F` processes: AMQP ingest, evaluation engine, HTTP). The broker asks the first cloud's
 * `/broker/auth/*`, as it asks the one address it is configured with. The auth cache starts empty: the storm
 * is what a broker restart or a network outage leaves, every gateway logging in again.
 *
 * Besides the embedded run's figures (drained, no loss, no duplicate, lock latency p50/p99 from a probe
 * gateway publishing into the broker), it prints what the storm costs the broker's side: when each gateway
 * got its CONNACK, the auth calls the first cloud answered (from its request log) and the CPU time of each
 * process (broker, clouds, PostgreSQL, this process with the simulated gateways).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PUBACK_TIMEOUT_MS } from '@coldtrace/edge';
import { gatewayTopic } from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { ingestedReadings } from './storm-diagnostics.js';
import { BATCH, epcOf, out, percentile, probeCritical, probeMovements, publishAll } from './storm-load.js';
import {
  brokerCosts,
  closeRig,
  createRig,
  rigMissing,
  seedRig,
  startRig,
  waitFor,
} from './storm-rabbitmq-rig.js';

export interface RabbitmqStormOptions {
  gateways: number;
  backlog: number;
  samples: number;
  ingestors: number;
  /** Where the probe's critical readings go: `readings-live` as the edge sends them, or `readings`. */
  probeTopic: 'readings' | 'readings-live';
  /** The clouds' `evaluation.urgentLane` (default on): off measures the engine without it. */
  urgentLane?: boolean;
}

/** A probe reading not locked after this ends the sampling. */
const PROBE_GIVE_UP_MS = 120_000;
/**
 * No PUBACK for this long while gateways still wait for theirs: the storm stalled. Longer than the
 * gateways' PUBACK deadline, after which they reconnect and send again (`publishAll`).
 */
const STALL_MS = DEFAULT_PUBACK_TIMEOUT_MS + 30_000;

export async function rabbitmqStorm(o: RabbitmqStormOptions): Promise<void> {
  const missing = rigMissing();
  if (missing) throw new Error(`the RabbitMQ storm needs ${missing}`);
  const t0 = Date.now() - 3_600_000;
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-storm-rabbitmq-'));
  let keep = false;
  out('machine', availableParallelism(), 'cpus', {
    load1: loadavg()[0],
    deployment: 'rabbitmq',
    gateways: o.gateways,
    backlog: o.backlog,
    ingestors: o.ingestors,
    probeTopic: o.probeTopic,
    urgentLane: o.urgentLane !== false,
  });
  const rig = await createRig(dir);
  const clients: MqttClient[] = [];
  let probe: MqttClient | undefined;
  try {
    const { dbUrl, secrets, probeSecret, payloads } = await seedRig(rig, o, t0);
    const { node, db } = await startRig(rig, o, dbUrl);
    const clouds = rig.clouds;
    const one = async (sql: string, params: unknown[] = []) =>
      Number(Object.values((await db.query(sql, params)).rows[0] ?? { n: 0 })[0]);

    // Probe locations, each holding one unit (moved in before the storm).
    probe = await mqtt.connectAsync(node.mqttUrl, {
      clientId: 'probe',
      username: 'probe',
      password: probeSecret,
      protocolVersion: 4, // RabbitMQ 3.10 speaks MQTT 3.1.1 only
      clean: false,
      // As a gateway does: the broker closes a connection whose publish it could not authorise in time
      // (below), and the unacknowledged reading goes again on the next connection.
      reconnectPeriod: 1000,
      connectTimeout: 60_000,
    });
    let probeDisconnects = 0;
    probe.on('close', () => {
      probeDisconnects++;
    });
    await probe.publishAsync('coldtrace/v1/gw/probe/movements', probeMovements(o.samples, t0), { qos: 1 });
    await waitFor('the probe units in custody', 60_000, 50, async () => {
      const held = await one(
        "SELECT COUNT(*) AS n FROM custody WHERE gateway_id = 'probe' AND left_at IS NULL",
      );
      return held === o.samples && (await one('SELECT COUNT(*) AS n FROM evaluation_marks')) === 0;
    });
    /** What the storm cost the broker's side: auth calls, the broker's log, CPU per process. */
    const diagnostics = brokerCosts(rig, node, o, Date.now());

    // The storm: every gateway connects at once and sends its backlog.
    const started = performance.now();
    let acked = 0;
    let connectionErrors = 0;
    // Batches the broker acknowledged (in the quorum queue): with the ingested count, what the probe's
    // reading queues behind (the readings of every gateway share one FIFO queue).
    let pubacks = 0;
    // Connections that closed (refused at CONNECT, or dropped by the broker after it), each retried in 1 s.
    let closes = 0;
    // Connections the gateways dropped for a PUBACK past their deadline (then reconnected and sent again).
    let pubackDrops = 0;
    const connectedAt: number[] = [];
    // Gateways whose whole backlog was PUBACKed, and when the last PUBACK came (a storm that stops
    // progressing is reported, not waited for).
    const done = new Set<number>();
    let lastPuback = performance.now();
    // When the clouds last stored more readings (what a stalled storm drained, and by when), every 500 ms.
    let inserted = 0;
    let insertedAt = started;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        // A cloud not answering /metrics for a moment (busy, or stopping after a failure) is asked again.
        const now =
          (await ingestedReadings(clouds).catch(() => ({}) as Record<string, number>)).inserted ?? 0;
        if (now > inserted) [inserted, insertedAt] = [now, performance.now()];
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const storm = Promise.all(
      payloads.map(async (p, g) => {
        const c = mqtt.connect(node.mqttUrl, {
          clientId: `gw-${g}`,
          username: `gw-${g}`,
          password: secrets[g],
          protocolVersion: 4,
          clean: false,
          reconnectPeriod: 1000,
          reconnectOnConnackError: true,
          connectTimeout: 60_000,
        });
        c.on('error', () => {
          connectionErrors++;
        });
        c.on('close', () => {
          closes++;
        });
        c.on('packetreceive', (packet) => {
          if (packet.cmd !== 'puback') return;
          pubacks++;
          lastPuback = performance.now();
        });
        clients.push(c);
        await new Promise<void>((resolve) => c.once('connect', () => resolve()));
        connectedAt.push(performance.now() - started);
        await publishAll(c, g, p, {
          onDrop: () => {
            pubackDrops++;
          },
        });
        done.add(g);
        acked++;
      }),
    );

    // Critical readings during the storm, one probe location after the other; the lock polled in
    // PostgreSQL every 5 ms (the resolution of these figures). Taken now, so live by the edge's rule: on
    // `readings-live` (the default) it has a queue of its own; on `readings` it waits behind what the
    // gateways put there before it. A probe reading not locked after PROBE_GIVE_UP_MS ends the sampling
    // (counted, and the goal missed).
    const latencies: number[] = [];
    /** Publish to the reading's row in PostgreSQL, per sample (the rest of its latency is evaluation). */
    const stored: number[] = [];
    let probeTimeouts = 0;
    const ahead: number[] = [];
    let probeSeq = 0;
    /**
     * Per sample, when its reading committed: the evaluation ahead of its lock (location marks and their
     * locations not evaluated yet) and the sessions waiting on a lock (derive transactions queued on the
     * derive locks: the same location's, or the exclusive one, in either cloud).
     */
    const evaluation: Array<[number, number, number]> = [];
    const evaluationBacklog = async (): Promise<[number, number, number]> => {
      const r = await db.query<{ marks: string; locations: string; waiting: string }>(
        `SELECT (SELECT COUNT(*) FROM evaluation_marks WHERE kind = 'location') AS marks,
                (SELECT COUNT(DISTINCT subject) FROM evaluation_marks WHERE kind = 'location') AS locations,
                (SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock') AS waiting`,
      );
      const row = r.rows[0]!;
      return [Number(row.marks), Number(row.locations), Number(row.waiting)];
    };
    for (let i = 0; i < o.samples; i++) {
      const payload = probeCritical(i, ++probeSeq, t0, Date.now());
      const queued = pubacks * BATCH - ((await ingestedReadings(clouds)).inserted ?? 0);
      const t = performance.now();
      let storedAt: number | undefined;
      probe.publish(gatewayTopic('probe', o.probeTopic), payload, { qos: 1 });
      // When the reading is stored (ingest) and when its unit is locked (evaluation after the commit).
      for (;;) {
        const r = await db.query<{ stored: boolean; locked: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM readings WHERE gateway_id = 'probe' AND seq = $2) AS stored,
                  EXISTS (SELECT 1 FROM locks WHERE epc = $1 AND state = 'active') AS locked`,
          [epcOf(i), probeSeq],
        );
        if (r.rows[0]!.stored && storedAt === undefined) {
          storedAt = performance.now() - t;
          evaluation.push(await evaluationBacklog());
        }
        if (r.rows[0]!.locked || performance.now() - t >= PROBE_GIVE_UP_MS) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      if (performance.now() - t >= PROBE_GIVE_UP_MS) {
        probeTimeouts++;
        out('note', i, 'sample', {
          detail: `probe reading ${i} not locked after ${PROBE_GIVE_UP_MS / 1000} s`,
        });
        break;
      }
      latencies.push(performance.now() - t);
      if (storedAt === undefined) evaluation.push(await evaluationBacklog());
      stored.push(storedAt ?? latencies[latencies.length - 1]!);
      ahead.push(queued);
      // Only samples taken while the storm lasts count: until every gateway is done, or its PUBACKs stop.
      if (acked === o.gateways || performance.now() - lastPuback > 5_000) {
        out('note', i + 1, 'samples', { detail: 'the storm ended before all samples were taken' });
        break;
      }
    }
    let stormDone = false;
    void storm.then(() => {
      stormDone = true;
    });
    while (!stormDone && performance.now() - lastPuback < STALL_MS)
      await new Promise((r) => setTimeout(r, 500));
    watching = false;
    await watcher;
    const expected = o.gateways * o.backlog;
    if (!stormDone) {
      // Stalled: some gateways wait for PUBACKs that do not come. Which ones, and what the broker said.
      const stuck = [...Array(o.gateways).keys()].filter((g) => !done.has(g));
      const channelErrors = new Set(
        [...node.log().matchAll(/Channel error on connection .*user: 'gw-(\d+)'/g)].map((m) => Number(m[1])),
      );
      const perSample = latencies.map((l, k) => [ahead[k]!, Math.round(stored[k]!), Math.round(l)]);
      latencies.sort((a, b) => a - b);
      out('storm_stalled', stuck.length, 'gateways', {
        detail: `no PUBACK for ${STALL_MS / 1000} s while these gateways wait for theirs`,
        lastPubackS: Math.round((lastPuback - started) / 100) / 10,
        lastStoredS: Math.round((insertedAt - started) / 100) / 10,
        neverConnected: o.gateways - connectedAt.length,
        withChannelError: stuck.filter((g) => channelErrors.has(g)).length,
        channelErrors: channelErrors.size,
        readingsStored: await one("SELECT COUNT(*) AS n FROM readings WHERE gateway_id LIKE 'gw-%'"),
        readingsSent: expected,
        lockSamples: latencies.length,
        lockP50Ms: latencies.length ? Math.round(percentile(latencies, 50)) : null,
        lockP99Ms: latencies.length ? Math.round(percentile(latencies, 99)) : null,
        samplesAheadStoredLockedMs: perSample,
        probeTimeouts,
        connectionErrors,
        closes,
        pubackDrops,
      });
      await diagnostics(Date.now());
      throw new Error(`the storm stalled: ${stuck.length} of ${o.gateways} gateways without PUBACK`);
    }
    const ackedS = (performance.now() - started) / 1000;
    await waitFor('every reading stored', 600_000, 100, async () => {
      const readings = await one('SELECT COUNT(*) AS n FROM readings');
      return readings >= expected + probeSeq;
    });
    await waitFor('every evaluation mark cleared', 600_000, 50, async () => {
      return (await one('SELECT COUNT(*) AS n FROM evaluation_marks')) === 0;
    });
    const drainedS = (performance.now() - started) / 1000;
    const logEnd = Date.now();
    const readings = await one('SELECT COUNT(*) AS n FROM readings');
    const distinct = await one(
      "SELECT COUNT(*) AS n FROM (SELECT DISTINCT gateway_id, seq FROM readings WHERE gateway_id LIKE 'gw-%') d",
    );
    if (readings !== expected + probeSeq || distinct !== expected)
      throw new Error(
        `stored ${readings} rows, ${distinct} distinct gateway readings; sent ${expected} + ${probeSeq}`,
      );
    connectedAt.sort((a, b) => a - b);
    out('storm_connected', connectedAt[connectedAt.length - 1]! / 1000, 's', {
      p50: Math.round(percentile(connectedAt, 50)),
      p99: Math.round(percentile(connectedAt, 99)),
      unit_pct: 'ms',
      connectionErrors,
      closes,
      pubackDrops,
    });
    out('storm_acked', ackedS, 's', { detail: 'every PUBACK back (in the quorum queue)' });
    out('storm_drained', drainedS, 's', {
      goal: 30,
      readings: expected,
      rate: Math.round(expected / drainedS),
      loss: 0,
      duplicates: 0,
      connectionErrors,
    });
    const perSample = latencies.map((l, k) => [ahead[k]!, Math.round(stored[k]!), Math.round(l)]);
    const commitToLock = latencies.map((l, k) => Math.round(l - stored[k]!)).sort((a, b) => a - b);
    out('storm_commit_to_lock_p50', percentile(commitToLock, 50), 'ms', {
      p99: percentile(commitToLock, 99),
      detail: 'probe reading committed to its unit locked (evaluation)',
      samplesCommitToLockMsMarksLocationsLockWaiters: latencies.map((l, k) => [
        Math.round(l - stored[k]!),
        ...evaluation[k]!,
      ]),
    });
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    // Milliseconds of lock latency per 1,000 readings queued ahead of the probe's: the lock waits for the
    // queue to drain up to its reading.
    const msPer1000Ahead = sum(ahead) >= 1000 ? Math.round((sum(latencies) / sum(ahead)) * 1000) : null;
    latencies.sort((a, b) => a - b);
    ahead.sort((a, b) => a - b);
    stored.sort((a, b) => a - b);
    out('storm_probe_stored_p50', percentile(stored, 50), 'ms', {
      p99: percentile(stored, 99),
      detail: 'publish to the probe reading committed (the lock latency less evaluation)',
    });
    out('storm_lock_latency_p50', percentile(latencies, 50), 'ms', {
      samples: latencies.length,
      probeDisconnects,
      readingsAheadP50: percentile(ahead, 50),
      readingsAheadMax: percentile(ahead, 100),
      msPer1000Ahead,
    });
    out('storm_lock_latency_p99', percentile(latencies, 99), 'ms', {
      goal: 1000,
      samples: latencies.length,
      max: percentile(latencies, 100),
      samplesAheadStoredLockedMs: perSample,
    });
    await diagnostics(logEnd);
    out('machine_after', loadavg()[0]!, 'load1');
    // Nothing left behind in the broker either: no delivery parked, unacknowledged or to be redelivered.
    await waitFor('the queues empty', 60_000, 1000, async () =>
      Object.values(await node.queues()).every((q) => q.messages === 0),
    );
  } catch (err) {
    keep = true;
    if (rig.node) writeFileSync(join(dir, 'rabbitmq.log'), rig.node.log());
    throw err;
  } finally {
    await Promise.all([...clients, ...(probe ? [probe] : [])].map((c) => c.endAsync(true)));
    await closeRig(rig);
    if (keep) process.stderr.write(`the clouds' logs are kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
