import { join } from 'node:path';
import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import { type GatewayStatus, manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanPageModule } from '../src/scan/scan-page-module.js';
import { gatewayRig, LIMITS, probeModule } from './gateway-harness.js';
import { startBroker, startSubscriber, type TestBroker } from './publisher/helpers.js';

/**
 * The retained `status` as the broker holds it (not `gateway.status()` in memory): a real gateway and
 * publisher on a real aedes broker, read back by subscribers, late ones getting the retained message.
 * The gateway runs on a manual clock, so its periodic and dirty-check timers fire when the test says.
 */
const T0 = Date.UTC(2026, 0, 1);
const rig = gatewayRig();
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await rig.close();
  for (const c of closers.splice(0).reverse()) await c();
});

async function brokerWithSubscriber() {
  const broker: TestBroker = await startBroker();
  closers.push(() => broker.close());
  const sub = await startSubscriber(broker.port);
  closers.push(() => sub.close());
  const statuses = () => sub.of('status').map((s) => s.value as GatewayStatus);
  return { broker, sub, statuses };
}

describe('retained gateway status', () => {
  it('shows a raised or cleared alarm at the next health tick (1 s), not at the next statusIntervalMs', async () => {
    const { broker, statuses } = await brokerWithSubscriber();
    const clock = manualClock(T0);
    const probe = probeModule();
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        statusIntervalMs: 600_000,
        locations: [{ id: 'room-1', limits: LIMITS }],
      },
      { clock, modules: [probe] },
    );
    await until(() => statuses().some((s) => s.reason === 'started'), 'the started status');
    // Out of range with no alarm delay: the local alarm is raised with this reading.
    probe
      .ctx()
      .records.readings([{ sensorId: 's1', locationId: 'room-1', ts: T0, tempC: 9.5, quality: 'ok' }]);
    expect(g.status().activeAlarms).toEqual(['temperature_high:room-1']);
    clock.advance(1000);
    await until(
      () => statuses().some((s) => s.activeAlarms?.includes('temperature_high:room-1')),
      'the alarm in the published status',
    );
    // The retained message itself (what a cloud that connects now reads) carries it.
    const late = await startSubscriber(broker.port);
    closers.push(() => late.close());
    await until(() => late.of('status').length > 0, 'the retained status');
    expect(late.of('status')[0]).toMatchObject({
      retain: true,
      value: { state: 'online', activeAlarms: ['temperature_high:room-1'] },
    });

    probe
      .ctx()
      .records.readings([{ sensorId: 's1', locationId: 'room-1', ts: T0 + 1000, tempC: 5, quality: 'ok' }]);
    clock.advance(1000);
    await until(
      () => statuses().at(-1)?.activeAlarms?.length === 0,
      'the cleared alarm in the published status',
    );
    expect(statuses().map((s) => [s.reason, s.ts])).toEqual([
      ['started', T0],
      ['periodic', T0 + 1000],
      ['periodic', T0 + 2000],
    ]);
    // A gateway without scanners sends no scan fields, so a cloud older than them still takes its status.
    expect(statuses().some((s) => 'scanStations' in s || 'scanPage' in s)).toBe(false);
  });

  it('keeps sensors[].lastReadingTs and consecutiveErrors fresh in the periodic status, one a second', async () => {
    const { broker, statuses } = await brokerWithSubscriber();
    const sim: ModbusSimulator = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 4.2 } },
        { address: 2, profile: { kind: 'no-answer' } },
      ],
    });
    closers.push(() => sim.close());
    const clock = manualClock(T0);
    const POLL_MS = 500;
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        statusIntervalMs: 1000,
        modbus: [
          {
            id: 'bus-1',
            path: sim.devicePath,
            timeoutMs: 100,
            retries: 0,
            retryDelayMs: 0,
            sensors: [
              { id: 'good', address: 1, locationId: 'room-1', pollMs: POLL_MS },
              { id: 'dead', address: 2, locationId: 'room-1', pollMs: POLL_MS },
            ],
          },
        ],
      },
      { clock },
    );
    await until(() => statuses().some((s) => s.reason === 'started'), 'the started status');
    const polledNow = () =>
      g.status().sensors?.length === 2 && g.status().sensors!.every((x) => x.lastReadingTs === clock.now());
    // Poll by poll: time moves on once both sensors have been polled at this instant.
    for (let t = 0; t <= 3000; t += POLL_MS) {
      if (t > 0) clock.advance(POLL_MS);
      await until(polledNow, `both sensors polled at ${t} ms`);
    }
    const periodic = () => statuses().filter((s) => s.reason === 'periodic');
    await until(() => periodic().length === 3, 'three periodic statuses');
    const sensor = (s: GatewayStatus, id: string) => s.sensors?.find((x) => x.sensorId === id);
    const [a, b, c] = periodic() as [GatewayStatus, GatewayStatus, GatewayStatus];
    // Each periodic status shows the latest poll, not the one that last changed the state. At a whole
    // second the status timer fires before that instant's poll has answered: it shows the one before.
    expect([a, b, c].map((s) => sensor(s, 'good')!.lastReadingTs)).toEqual([T0 + 500, T0 + 1500, T0 + 2500]);
    expect([a, b, c].map((s) => sensor(s, 'dead')!.consecutiveErrors)).toEqual([2, 4, 6]);
    expect(sensor(c, 'good')).toMatchObject({ state: 'ok', quality: 'ok', consecutiveErrors: 0 });
    expect(sensor(c, 'dead')).toMatchObject({ state: 'failed', quality: 'timeout' });
    // No status per poll: 14 polls, and the statuses published meanwhile (all before the third
    // periodic one, so all received by now) are the started one and one a second.
    expect(statuses().map((s) => [s.reason, s.ts])).toEqual([
      ['started', T0],
      ['periodic', T0 + 1000],
      ['periodic', T0 + 2000],
      ['periodic', T0 + 3000],
    ]);
  });

  it('carries each scan station (serial and page) and the scan page, a device state change at the next health tick', async () => {
    const { broker, statuses } = await brokerWithSubscriber();
    const clock = manualClock(T0);
    const missing = join(rig.dir(), 'ttyNONE');
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        statusIntervalMs: 600_000,
        scanStations: [{ id: 'dock-1', path: missing, locationId: 'bay', direction: 'receiving' }],
        scanPage: {
          port: 0,
          stations: [{ id: 'fridge-2', locationId: 'fridge-2', direction: 'putaway' }],
        },
      },
      { clock },
    );
    await until(() => statuses().some((s) => s.reason === 'started'), 'the started status');
    const station = (s: GatewayStatus | undefined, id: string) =>
      s?.scanStations?.find((x) => x.stationId === id);
    // The scanner's device is not there: the station is in error, and that goes out at the next tick.
    await until(() => station(g.status(), 'dock-1')?.state === 'error', 'the missing device seen');
    clock.advance(1000);
    await until(() => station(statuses().at(-1), 'dock-1')?.state === 'error', 'the error published');

    const page = g.modules.find((m) => m.name === 'scan-page') as ScanPageModule;
    const post = (code: string) =>
      fetch(`http://127.0.0.1:${page.port()}/scan/stations/fridge-2/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    expect((await post(']d2010952123454321317270600\u001d10LOT-9')).status).toBe(201);
    expect((await post(']d20109521234543214')).status).toBe(422);
    // Counts go out with the periodic status.
    clock.advance(600_000 - 1000);
    await until(() => statuses().at(-1)?.ts === T0 + 600_000, 'the periodic status');
    const last = statuses().at(-1)!;
    expect(last.scanStations).toEqual([
      {
        stationId: 'dock-1',
        source: 'serial',
        locationId: 'bay',
        direction: 'receiving',
        state: 'error',
        scans: 0,
        refused: {},
        lastError: expect.stringContaining(`cannot open ${missing}`),
      },
      {
        stationId: 'fridge-2',
        source: 'page',
        locationId: 'fridge-2',
        direction: 'putaway',
        state: 'open',
        lastScanTs: T0 + 1000,
        scans: 1,
        refused: { barcode_check_digit: 1 },
        lastError: expect.stringMatching(/^barcode_check_digit: /),
      },
    ]);
    expect(last.scanPage).toEqual({ state: 'serving', host: '127.0.0.1', port: page.port() });
  });
});
