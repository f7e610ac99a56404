/**
 * `npm run bench -- ingest [--readings=N] [--runs=R]`: the cloud's ingest path on the embedded default.
 * The rates are measured R times (default 3), each time SQLite alone, broker alone and end to
 * end back to back; the medians are printed with every run's figure, the machine and the load average.
 * Prints one JSON object per line (bench, metric, value, unit, + references measured in the same run):
 *  - sqlite_insert_rate: CloudStore.ingestReadings alone (batches of 500 parsed beforehand, one at a
 *    time, so one commit each; WAL, synchronous=FULL);
 *  - sqlite_raw_insert_rate: prepared INSERTs into the cloud's readings table (same indexes), 16 batches
 *    per commit like the end-to-end group commit: the raw SQLite rate the goal's ratio is taken against;
 *  - broker_rate: aedes alone (no auth, no ingest): QoS 1 batches of 500 readings from simulated
 *    gateways, counted at PUBACK;
 *  - end_to_end_rate: simulated gateways → aedes (auth, ACL) → Ingestor → SQLite → domain engine
 *    (windowed excursion evaluation); the clock stops when every batch is acknowledged AND the derived
 *    state is flushed; with the ratio to each raw rate;
 *  - lock_latency_p50 / p99: from a gateway publishing the deciding (critical) reading to the unit's lock
 *    being visible in GET /api/v1/locks, under ~10,000 readings/s of background load (200 samples).
 * The simulated gateways and the cloud they publish to are bench/ingest-load.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStore, openDatabase, registerGateway, UserStore } from '@coldtrace/cloud';
import { encodeGatewayPayload, type Reading, type ReadingsBatch } from '@coldtrace/shared';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { readingRow } from '../cloud/src/domain/ingest/record-rows.js';
import {
  keyInsertSql,
  READING_ROW_INSERT,
  readingRowParams,
} from '../cloud/src/store/sqlite-reading-rows.js';
import { room } from '../cloud/test/helpers/records.js';
import { BATCH, batch, cloudWith, drive, GATEWAYS, T0 } from './ingest-load.js';

const BENCH = 'ingest';
const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const TOTAL = arg('readings', 400_000);
/** Lock-latency samples: with 200, p99 is the 198th value, not the maximum. */
const LATENCY_SAMPLES = arg('latency-samples', 200);
const out = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ bench: BENCH, metric, value: Math.round(value * 100) / 100, unit, ...extra })}\n`,
  );

async function sqliteAlone(dir: string): Promise<number> {
  const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'raw.db')}`));
  const batches = TOTAL / BATCH / GATEWAYS;
  const parsed: Array<{ g: number; b: ReadingsBatch }> = [];
  for (let k = 0; k < batches; k++) {
    for (let g = 0; g < GATEWAYS; g++) parsed.push({ g, b: JSON.parse(batch(g, k).payload) });
  }
  // One batch at a time, each its own committed transaction (no group commit can help here).
  const t = performance.now();
  let n = 0;
  for (const { g, b } of parsed) n += (await store.ingestReadings(`gw${g}`, b, T0)).inserted;
  const rate = n / ((performance.now() - t) / 1000);
  await store.close();
  return rate;
}

/**
 * Raw SQLite: prepared INSERTs of the same readings into the cloud's own `readings` table (same schema
 * and indexes, migrated), GROUP batches per transaction as the end-to-end path's group commit does, with
 * no validation, dedup bookkeeping, coverage or evaluation marks: the floor the store cannot beat.
 */
async function sqliteRaw(dir: string, group = 16): Promise<number> {
  const opened = await openDatabase(`sqlite:${join(dir, 'rawest.db')}`);
  const db = opened.sqlite!;
  // The compact rows (migration 0043), their keys made once up front.
  const ins = db.prepare(READING_ROW_INSERT);
  const key = (c: Parameters<typeof keyInsertSql>[0]) => db.prepare(keyInsertSql(c));
  const keys = {
    gw: key('gateway_id'),
    sensor: key('sensor_id'),
    location: key('location_id'),
    quality: key('quality'),
  };
  const batches = TOTAL / BATCH / GATEWAYS;
  const parsed: Array<{ g: string; b: ReadingsBatch }> = [];
  for (let k = 0; k < batches; k++) {
    for (let g = 0; g < GATEWAYS; g++) parsed.push({ g: `gw${g}`, b: JSON.parse(batch(g, k).payload) });
  }
  const tx = db.transaction((from: number) => {
    for (let i = from; i < from + group && i < parsed.length; i++) {
      const { g, b } = parsed[i]!;
      for (const r of b.records)
        ins.run(...readingRowParams({ gateway_id: g, seq: r.seq, ...readingRow(r), received_at: T0 }));
    }
  });
  db.transaction(() => {
    for (const { g, b } of parsed) {
      keys.gw.run(g);
      for (const r of b.records) {
        keys.sensor.run(r.sensorId);
        keys.location.run(r.locationId);
        keys.quality.run(r.quality);
      }
    }
  })();
  const t = performance.now();
  for (let i = 0; i < parsed.length; i += group) tx(i);
  const rate = TOTAL / ((performance.now() - t) / 1000);
  await opened.close();
  return rate;
}

async function brokerAlone(): Promise<number> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = await Promise.all(
    Array.from({ length: GATEWAYS }, (_, g) =>
      mqtt.connectAsync(url, { clientId: `gw${g}`, reconnectPeriod: 0 }),
    ),
  );
  const t = performance.now();
  const n = await drive(clients, TOTAL / BATCH / GATEWAYS);
  const rate = n / ((performance.now() - t) / 1000);
  await Promise.all(clients.map((c) => c.endAsync()));
  await new Promise<void>((r) => aedes.close(() => server.close(() => r())));
  return rate;
}

async function endToEnd(dir: string): Promise<{ rate: number; batchesPerCommit: number }> {
  const { cloud, clients } = await cloudWith(dir, 'e2e');
  const t = performance.now();
  const n = await drive(clients, TOTAL / BATCH / GATEWAYS);
  await cloud.evaluator.flush();
  const rate = n / ((performance.now() - t) / 1000);
  const g = cloud.store.ingestBackend.groups;
  const batchesPerCommit = g && g.count > 0 ? g.batches / g.count : 1;
  const stored = (await cloud.store.counts()).readings;
  if (stored !== n) throw new Error(`stored ${stored} of ${n} readings`);
  await Promise.all(clients.map((c) => c.endAsync()));
  await cloud.close();
  return { rate, batchesPerCommit };
}

async function lockLatency(dir: string): Promise<number[]> {
  const { cloud, clients } = await cloudWith(dir, 'latency');
  const { token } = await new UserStore(cloud.store.db).createToken(
    { name: 'bench', roles: ['viewer'], userId: null },
    T0,
  );
  const probeSecret = await registerGateway(cloud.store, { id: 'probe', now: T0 });
  const probe = await mqtt.connectAsync(cloud.mqttUrl!, {
    clientId: 'probe',
    username: 'probe',
    password: probeSecret,
    reconnectPeriod: 0,
  });
  // Background: ~10,000 readings/s (one 500-reading batch per gateway every 400 ms).
  let stop = false;
  const background = Promise.all(
    clients.map(async (c, g) => {
      for (let k = 0; !stop; k++) {
        const started = performance.now();
        await c.publishAsync(`coldtrace/v1/gw/gw${g}/readings`, batch(g, k).payload, { qos: 1 });
        await new Promise((r) => setTimeout(r, Math.max(0, 400 - (performance.now() - started))));
      }
    }),
  );
  const samples: number[] = [];
  let seq = 0;
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const loc = `probe-${i}`;
    const epc = (0x30340000 + i).toString(16).toUpperCase().padStart(8, '0') + '0000000000000000';
    await cloud.store.upsertLocation(room(loc), T0);
    const move = {
      seq: i + 1,
      epc,
      portalId: 'door',
      kind: 'pass' as const,
      from: 'dock',
      to: loc,
      direction: 'in' as const,
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -40,
    };
    await probe.publishAsync(
      'coldtrace/v1/gw/probe/movements',
      encodeGatewayPayload('movements', {
        gatewayId: 'probe',
        firstSeq: i + 1,
        lastSeq: i + 1,
        sentAt: T0,
        records: [move],
      }),
      { qos: 1 },
    );
    await cloud.evaluator.flush();
    const r = (tempC: number, ts: number): Reading => ({
      seq: ++seq,
      sensorId: `probe-s${i}`,
      locationId: loc,
      ts,
      tempC,
      quality: 'ok',
    });
    const ok = r(5, T0 + 60_000);
    await probe.publishAsync(
      'coldtrace/v1/gw/probe/readings',
      encodeGatewayPayload('readings', {
        gatewayId: 'probe',
        firstSeq: ok.seq,
        lastSeq: ok.seq,
        sentAt: T0,
        records: [ok],
      }),
      { qos: 1 },
    );
    const hot = r(15, T0 + 120_000); // past the critical margin: an excursion at once
    const t = performance.now();
    probe.publish(
      'coldtrace/v1/gw/probe/readings',
      encodeGatewayPayload('readings', {
        gatewayId: 'probe',
        firstSeq: hot.seq,
        lastSeq: hot.seq,
        sentAt: T0,
        records: [hot],
      }),
      { qos: 1 },
    );
    for (;;) {
      const res = await fetch(`${cloud.httpUrl}/api/v1/locks?epc=${epc}&state=active`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as unknown[];
      if (Array.isArray(body) && body.length > 0) break;
      if (performance.now() - t > 10_000) throw new Error('lock not visible within 10 s');
      await new Promise((r) => setTimeout(r, 2));
    }
    samples.push(performance.now() - t);
  }
  stop = true;
  await background;
  await probe.endAsync();
  await Promise.all(clients.map((c) => c.endAsync()));
  await cloud.close();
  return samples.sort((a, b) => a - b);
}

const RUNS = arg('runs', 3);
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)]!;
};
const machine = { cores: availableParallelism(), node: process.version, load_avg_1m: loadavg()[0] };
const dir = mkdtempSync(join(tmpdir(), 'coldtrace-ingest-bench-'));
try {
  // Rates: RUNS rounds of (SQLite alone, broker alone, end to end), each round measured back to back so
  // the ratios compare like with like on a machine shared with other work; medians are reported.
  const rounds: Array<{ sqlite: number; raw: number; broker: number; e2e: number; groups: number }> = [];
  for (let r = 0; r < RUNS; r++) {
    const sqlite = await sqliteAlone(join(dir, `r${r}`));
    const raw = await sqliteRaw(join(dir, `r${r}`));
    const broker = await brokerAlone();
    const e2e = await endToEnd(join(dir, `r${r}`));
    rounds.push({ sqlite, raw, broker, e2e: e2e.rate, groups: e2e.batchesPerCommit });
  }
  const sqlite = median(rounds.map((x) => x.sqlite));
  const raw = median(rounds.map((x) => x.raw));
  const broker = median(rounds.map((x) => x.broker));
  const e2e = median(rounds.map((x) => x.e2e));
  const runs = (k: 'sqlite' | 'raw' | 'broker' | 'e2e') => rounds.map((x) => Math.round(x[k]));
  const common = { readings: TOTAL, batch: BATCH, gateways: GATEWAYS, runs: RUNS, ...machine };
  out('sqlite_insert_rate', sqlite, 'readings/s', {
    ...common,
    what: 'CloudStore.ingestReadings, one batch per commit, WAL + synchronous=FULL',
    all_runs: runs('sqlite'),
  });
  out('sqlite_raw_insert_rate', raw, 'readings/s', {
    ...common,
    what: 'prepared INSERTs into the cloud readings table (same indexes), 16 batches per commit, WAL + FULL',
    all_runs: runs('raw'),
  });
  out('broker_rate', broker, 'readings/s', {
    ...common,
    what: 'aedes alone, QoS 1, counted at PUBACK',
    all_runs: runs('broker'),
  });
  // The goal's "raw rates": raw SQLite inserts and the broker alone (the store's own ingest is a
  // reference too, but it is part of the path being measured).
  const slower = Math.min(raw, broker);
  out('end_to_end_rate', e2e, 'readings/s', {
    ...common,
    what: 'gateways -> aedes (auth, ACL) -> ingest -> SQLite -> domain engine, until flushed',
    all_runs: runs('e2e'),
    goal: '>= 100000 and >= 0.5 x min(raw rates)',
    goal_met: e2e >= 100_000 && e2e >= 0.5 * slower,
    ratio_goal_met: e2e >= 0.5 * slower,
    sqlite_insert_rate: Math.round(sqlite),
    sqlite_raw_insert_rate: Math.round(raw),
    broker_rate: Math.round(broker),
    ratio_to_sqlite: Math.round((e2e / sqlite) * 1000) / 1000,
    ratio_to_sqlite_raw: Math.round((e2e / raw) * 1000) / 1000,
    ratio_to_broker: Math.round((e2e / broker) * 1000) / 1000,
    batches_per_commit: Math.round(median(rounds.map((x) => x.groups)) * 100) / 100,
  });
  const lat = await lockLatency(dir);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]!;
  out('lock_latency_p50', pct(50), 'ms', {
    samples: lat.length,
    background_readings_per_s: (GATEWAYS * BATCH) / 0.4,
    ...machine,
  });
  out('lock_latency_p99', pct(99), 'ms', {
    samples: lat.length,
    background_readings_per_s: (GATEWAYS * BATCH) / 0.4,
    goal_ms: 250,
    goal_met: pct(99) <= 250,
    max_ms: Math.round(lat[lat.length - 1]! * 100) / 100,
    ...machine,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
