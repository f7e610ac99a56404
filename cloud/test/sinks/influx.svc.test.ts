import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingsBatch } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxClient } from '../../src/sinks/influx-client.js';
import { INFLUX_SINK } from '../../src/sinks/influx-sink.js';
import { encodePoint } from '../../src/sinks/line-protocol.js';
import { SinkOutbox } from '../../src/sinks/sink-outbox.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { type InfluxdProcess, startInfluxd } from './influxd-process.js';

// Needs `influxd` (Debian package influxdb, 1.x) and PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).

const DB = 'coldtrace_test';

async function seqsInInflux(client: InfluxClient, gatewayId: string): Promise<number[]> {
  const series = await client.query(`SELECT seq, temp_c FROM temperature WHERE gateway = '${gatewayId}'`);
  return (series[0]?.values ?? []).map((v) => Number(v[1])).sort((a, b) => a - b);
}

describe('InfluxDB sink against a real influxd', () => {
  let influxd: InfluxdProcess;
  let cloud: TestCloud;
  let client: InfluxClient;
  let gw: MqttClient;
  const gatewayId = 'gw-influx';

  beforeAll(async () => {
    influxd = await startInfluxd();
    cloud = await startTestCloud({
      influx: { url: influxd.url, database: DB, pollMs: 20, retryMinMs: 20, retryMaxMs: 200, batchSize: 50 },
    });
    client = new InfluxClient({ url: influxd.url, database: DB, timeoutMs: 5000 });
    const secret = await cloud.addGateway(gatewayId);
    gw = await cloud.connect(gatewayId, secret);
  });
  afterAll(async () => {
    await gw?.endAsync();
    await cloud?.stop();
    await influxd?.destroy();
  });

  const publish = (batch: ReadingsBatch) =>
    gw.publishAsync(`coldtrace/v1/gw/${gatewayId}/readings`, JSON.stringify(batch), { qos: 1 });

  it('writes each reading as one point with tags gateway/sensor/location/quality and fields temp_c/rh/seq', async () => {
    const recs = [
      ...readings(3, { sensorId: 's1', locationId: 'room-1', rh: 41.5 }),
      ...readings(1, { firstSeq: 4, sensorId: 's1', tempC: null, quality: 'timeout' }),
    ];
    await publish(readingsBatch(gatewayId, recs) as ReadingsBatch);
    await publish(readingsBatch(gatewayId, recs) as ReadingsBatch); // a duplicate delivery: stored once
    await until(async () => (await seqsInInflux(client, gatewayId)).length === 4, '4 points in InfluxDB');
    const series = await client.query(
      `SELECT time, temp_c, rh, seq, gateway, sensor, location, quality FROM temperature WHERE gateway = '${gatewayId}' ORDER BY time`,
    );
    expect(series[0]!.values).toEqual([
      [recs[0]!.ts, 5, 41.5, 1, gatewayId, 's1', 'room-1', 'ok'],
      [recs[1]!.ts, 5, 41.5, 2, gatewayId, 's1', 'room-1', 'ok'],
      [recs[2]!.ts, 5, 41.5, 3, gatewayId, 's1', 'room-1', 'ok'],
      [recs[3]!.ts, null, null, 4, gatewayId, 's1', 'room-1', 'timeout'],
    ]);
    await until(async () => (await cloud.influx!.outbox.backlog()) === 0, 'an empty outbox');
  });

  it('stores tag values with spaces, commas and equals signs as written (escaping)', async () => {
    const location = 'cold room, A=1';
    await client.write(
      encodePoint({
        measurement: 'escaping',
        tags: { location },
        fields: { temp_c: 2.5 },
        ts: 1_700_000_000_000,
      }),
    );
    const [series] = await client.query('SELECT temp_c, location FROM escaping');
    expect(series!.values).toEqual([[1_700_000_000_000, 2.5, location]]);
  });

  it('loses nothing across an InfluxDB outage and holds every point exactly once afterwards', async () => {
    let seq = 4;
    const next = (n: number) => {
      const b = readingsBatch(gatewayId, readings(n, { firstSeq: seq + 1, sensorId: 's2' })) as ReadingsBatch;
      seq += n;
      return b;
    };
    for (let i = 0; i < 5; i++) await publish(next(40));
    await influxd.kill();
    // Published while InfluxDB is down: committed to the store, queued in the outbox.
    for (let i = 0; i < 10; i++) await publish(next(40));
    await until(async () => (await cloud.influx!.outbox.backlog()) > 0, 'a backlog in the outbox');
    const metrics = await cloud.app.inject({ method: 'GET', url: '/metrics' });
    await until(async () => {
      const m = await (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
      return /coldtrace_influx_write_failures_total\{code="influx_unavailable"\} [1-9]/.test(m);
    }, 'failed writes counted');
    expect(metrics.statusCode).toBe(200);
    await influxd.start();
    for (let i = 0; i < 3; i++) await publish(next(40));
    await until(async () => (await cloud.influx!.outbox.backlog()) === 0, 'the outbox drained', {
      timeoutMs: 30_000,
    });
    const total = seq;
    const got = await until(async () => {
      const s = await seqsInInflux(client, gatewayId);
      return s.length === total ? s : null;
    }, `${total} points`);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const [count] = await client.query(`SELECT count(seq) FROM temperature WHERE gateway = '${gatewayId}'`);
    expect(count!.values[0]![1]).toBe(total);
    expect((await cloud.store.counts()).readings).toBe(total);
  });
});

describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('sink outbox filled by ingest on %s', (_name, kind) => {
  let store: CloudStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const pg = await freshPostgresUrl();
      store = new CloudStore(await openDatabase(pg.url));
      cleanup = async () => {
        await store.close();
        await pg.drop();
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'coldtrace-outbox-'));
      store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
      cleanup = async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await store.upsertGateway({ id: 'g1', now: 0 });
  });
  afterAll(() => cleanup?.());

  it('enqueues only newly inserted readings of enabled sinks, backfills once, and drops the queue when disabled', async () => {
    if (kind === 'postgres') {
      // Migration 0011 dropped 0003's trigger: the ingest plan enqueues, as on SQLite (never both).
      const t = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_trigger where tgname = 'readings_sink_outbox'`.execute(store.db);
      expect(t.rows[0]!.n).toBe(0);
    }
    const outbox = new SinkOutbox(store.db, INFLUX_SINK);
    expect(
      (await store.ingestReadings('g1', readingsBatch('g1', readings(3)) as ReadingsBatch, 1)).inserted,
    ).toBe(3);
    expect(await outbox.backlog()).toBe(0); // no sink enabled yet
    await outbox.setEnabled(true, 2, { backfill: true });
    expect((await outbox.take(10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    await outbox.setEnabled(true, 3, { backfill: true }); // already enabled: no second backfill
    expect(await outbox.backlog()).toBe(3);
    await store.ingestReadings('g1', readingsBatch('g1', readings(4, { firstSeq: 2 })) as ReadingsBatch, 4);
    const rows = await outbox.take(10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[4]).toMatchObject({
      gateway_id: 'g1',
      sensor_id: 's1',
      location_id: 'room-1',
      temp_c: 5,
      quality: 'ok',
    });
    await outbox.ack(rows.slice(0, 2).map((r) => r.id));
    expect((await outbox.take(10)).map((r) => r.seq)).toEqual([3, 4, 5]);
    // A failed ingest transaction enqueues nothing.
    const bad = readingsBatch('g1', readings(2, { firstSeq: 10 })) as ReadingsBatch;
    (bad.records[1] as { sensorId: unknown }).sensorId = null;
    await expect(store.ingestReadings('g1', bad, 5)).rejects.toThrow();
    expect(await outbox.backlog()).toBe(3);
    await outbox.setEnabled(false, 6);
    expect(await outbox.backlog()).toBe(0);
    const after = await store.ingestReadings(
      'g1',
      readingsBatch('g1', readings(1, { firstSeq: 20 })) as ReadingsBatch,
      7,
    );
    expect(after.inserted).toBe(1);
    expect(await outbox.backlog()).toBe(0);
  });
});
