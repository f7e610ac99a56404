import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, registerGateway, startCloud } from '@coldtrace/cloud';
import type { GatewayModule } from '@coldtrace/edge';
import { type Gateway, parseGatewayConfig, startGateway } from '@coldtrace/edge';
import {
  type FaultProxy,
  type ModbusSimulator,
  startFaultProxy,
  startModbusSimulator,
} from '@coldtrace/firmware-sim';
import { manualClock, type Reading } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * With the uplink down, a compressor failure raises the local alarm after the configured delay; after
 * reconnect the alarm and the readings reach the cloud with their original timestamps. Real pty sensor,
 * real gateway, real TCP proxy cut between gateway and broker, real cloud.
 * The reefer's time is scenario time: the sensor simulator and the gateway share a manual clock that the
 * test moves one poll at a time, waiting for each poll's reading, so the failure, the alarm delay and the
 * readings' times do not depend on how fast this machine runs. The broker connection (MQTT.js) and the
 * cloud stay on the wall clock.
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 2_000, criticalMarginC: 40, maxGapMs: 5_000 };
const POLL_MS = 200;
const clock = manualClock(Date.now());
let dir: string;
let cloud: Cloud;
let proxy: FaultProxy;
let bus: ModbusSimulator;
let gateway: Gateway;
const persisted: Reading[] = [];
const tap: GatewayModule = {
  name: 'test-tap',
  async start(ctx) {
    ctx.onReadings((r) => persisted.push(...r));
  },
  async stop() {},
};

/** One poll of scenario time: the gateway polls the sensor, and the test waits for that reading. */
async function poll(): Promise<void> {
  const n = persisted.length;
  await clock.advanceAsync(POLL_MS);
  await until(() => persisted.length > n, 'the reading of this poll', { intervalMs: 1 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-uplink-alarm-'));
  cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
    },
    { log },
  );
  const secret = await registerGateway(cloud.store, { id: 'truck-gw', now: Date.now() });
  const brokerPort = Number(new URL(cloud.mqttUrl!).port);
  proxy = await startFaultProxy({ host: '127.0.0.1', port: brokerPort });
  // The reefer holds 4.5 °C, then its compressor fails 3 s after start and it warms by 1 °C a second.
  bus = await startModbusSimulator({
    sensors: [
      {
        address: 1,
        profile: {
          kind: 'compressor-failure',
          baseC: 4.5,
          failAtMs: 3_000,
          rateCPerMin: 60,
          ambientC: 25,
          noiseC: 0,
        },
      },
    ],
    seed: 2,
    clock,
  });
  gateway = await startGateway(
    parseGatewayConfig({
      gatewayId: 'truck-gw',
      dataDir: join(dir, 'gw'),
      mqtt: { url: proxy.url, password: secret, reconnectMs: 200 },
      batch: { maxRecords: 100, maxAgeMs: 200 },
      locations: [{ id: 'truck-1', limits: LIMITS }],
      modbus: [
        {
          id: 'reefer-bus',
          path: bus.devicePath,
          // The answer timeout runs on the manual clock too, which moves only once the answer arrived:
          // a slow machine cannot turn a reading into a timeout. One request per poll, no retry.
          timeoutClock: 'gateway',
          retries: 0,
          sensors: [{ id: 'reefer-1', address: 1, locationId: 'truck-1', pollMs: POLL_MS }],
        },
      ],
    }),
    { clock, log, modules: [tap] },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await bus?.close();
  await proxy?.close();
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('local alarm while the uplink is down', () => {
  it('is raised at the edge after the delay, then reaches the cloud with its original time', async () => {
    await until(
      () => gateway.publisher.connected && persisted.length > 0,
      'the gateway online with a reading',
    );
    proxy.cut();
    await until(() => !gateway.publisher.connected, 'the uplink to drop');
    // From here on every reading can reach the cloud only after the restore.
    const cutSeq = gateway.buffer.lastSeq('readings');

    // The edge decides on its own: the alarm is raised while nothing can reach the cloud.
    const alarmActive = () => gateway.status().activeAlarms?.includes('temperature_high:truck-1') ?? false;
    for (let i = 0; i < 100 && !alarmActive(); i++) await poll();
    expect(alarmActive()).toBe(true);
    expect(gateway.publisher.connected).toBe(false);
    const buffered = gateway.buffer.peek('alarms', { limit: 10 });
    const alarm = buffered?.records.find(
      (a) => a.alarmId === 'temperature_high:truck-1' && a.state === 'raised',
    );
    expect(alarm).toBeDefined();
    // Event time: the first out-of-range reading plus the alarm delay (docs/architecture.md "Local alarms").
    const firstOut = persisted.find((r) => r.tempC !== null && r.tempC > LIMITS.maxC)!;
    expect(firstOut.seq).toBeGreaterThan(cutSeq);
    expect(alarm!.ts).toBe(firstOut.ts + LIMITS.alarmDelayMs);
    expect(alarm!.severity).toBe('warning');
    // The alarm and the outage's readings are in the gateway's buffer, and none of them in the cloud.
    const during = persisted.filter((r) => r.seq > cutSeq);
    expect(during.length).toBeGreaterThan(LIMITS.alarmDelayMs / POLL_MS);
    expect(gateway.buffer.stats().records).toBeGreaterThanOrEqual(during.length + 1);
    expect(await cloud.store.listAlarms({ gatewayId: 'truck-gw' })).toEqual([]);
    const storedBefore = await cloud.store.listReadings({ gatewayId: 'truck-gw', limit: 100_000 });
    expect(storedBefore.filter((r) => r.seq > cutSeq)).toEqual([]);

    const restoredAt = Date.now();
    proxy.restore();
    await until(
      async () => (await cloud.store.listAlarms({ gatewayId: 'truck-gw' })).length > 0,
      'the alarm in the cloud',
    );
    await until(() => gateway.buffer.stats().records === 0, 'the backlog to drain');

    const [stored] = await cloud.store.listAlarms({ gatewayId: 'truck-gw' });
    expect(stored).toMatchObject({
      alarm_id: 'temperature_high:truck-1',
      state: 'raised',
      ts: alarm!.ts,
      location_id: 'truck-1',
    });
    expect(stored!.received_at).toBeGreaterThanOrEqual(restoredAt);

    // Every reading taken during the outage arrived after the restore with the time it was taken, not the
    // time it was sent: scenario time, one poll apart.
    const rows = new Map(
      (await cloud.store.listReadings({ gatewayId: 'truck-gw', limit: 100_000 })).map((r) => [r.seq, r]),
    );
    for (const r of during) {
      expect(rows.get(r.seq)).toMatchObject({ ts: r.ts, temp_c: r.tempC });
      expect(rows.get(r.seq)!.received_at).toBeGreaterThanOrEqual(restoredAt);
    }
    const times = during.map((r) => r.ts);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(times.slice(1).map(() => POLL_MS));
  });
});
