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
import type { Reading } from '@coldtrace/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 4 acceptance: with the uplink down, a compressor failure raises the local alarm after the
 * configured delay; after reconnect the alarm and the readings reach the cloud with their original
 * timestamps. Real pty sensor, real gateway, real TCP proxy cut between gateway and broker, real cloud.
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 2_000, criticalMarginC: 40, maxGapMs: 5_000 };
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

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
          sensors: [{ id: 'reefer-1', address: 1, locationId: 'truck-1', pollMs: 200 }],
        },
      ],
    }),
    { log, modules: [tap] },
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
    await waitUntil(
      () => gateway.publisher.connected && persisted.length > 0,
      'the gateway online with readings',
    );
    proxy.cut();
    await waitUntil(() => !gateway.publisher.connected, 'the uplink to drop');

    // The edge decides on its own: the alarm is raised while nothing can reach the cloud.
    await waitUntil(
      () => gateway.status().activeAlarms?.includes('temperature_high:truck-1') ?? false,
      'the local alarm',
    );
    expect(gateway.publisher.connected).toBe(false);
    expect(await cloud.store.listAlarms({ gatewayId: 'truck-gw' })).toEqual([]);

    const buffered = gateway.buffer.peek('alarms', { limit: 10 });
    const alarm = buffered?.records.find(
      (a) => a.alarmId === 'temperature_high:truck-1' && a.state === 'raised',
    );
    expect(alarm).toBeDefined();
    // Event time: the first out-of-range reading plus the alarm delay (DESIGN "Excursion").
    const firstOut = persisted.find((r) => r.tempC !== null && r.tempC > LIMITS.maxC)!;
    expect(alarm!.ts).toBe(firstOut.ts + LIMITS.alarmDelayMs);
    expect(alarm!.severity).toBe('warning');

    const cutAt = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    proxy.restore();
    await waitUntil(
      async () => (await cloud.store.listAlarms({ gatewayId: 'truck-gw' })).length > 0,
      'the alarm in the cloud',
    );
    await waitUntil(() => gateway.buffer.stats().records === 0, 'the backlog to drain');

    const [stored] = await cloud.store.listAlarms({ gatewayId: 'truck-gw' });
    expect(stored).toMatchObject({
      alarm_id: 'temperature_high:truck-1',
      state: 'raised',
      ts: alarm!.ts,
      location_id: 'truck-1',
    });
    expect(stored!.received_at).toBeGreaterThanOrEqual(cutAt);

    // Every reading taken during the outage arrived with the time it was taken, not the time it was sent.
    const sent = persisted.filter((r) => r.seq <= gateway.buffer.lastSeq('readings'));
    const rows = new Map(
      (await cloud.store.listReadings({ gatewayId: 'truck-gw', limit: 100_000 })).map((r) => [r.seq, r]),
    );
    const during = sent.filter((r) => r.ts >= firstOut.ts);
    expect(during.length).toBeGreaterThan(5);
    for (const r of during) expect(rows.get(r.seq)).toMatchObject({ ts: r.ts, temp_c: r.tempC });
    expect(during.some((r) => rows.get(r.seq)!.received_at - r.ts > 400)).toBe(true);
  });
});
