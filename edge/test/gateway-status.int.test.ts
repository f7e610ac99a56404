import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import type { GatewayStatus } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayRig, LIMITS, probeModule } from './gateway-harness.js';
import { startBroker, startSubscriber, type TestBroker } from './publisher/helpers.js';

/**
 * The retained `status` as the broker holds it (not `gateway.status()` in memory): a real gateway and
 * publisher on a real aedes broker, read back by subscribers, late ones getting the retained message.
 */
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
  it('shows a raised or cleared alarm within seconds, not at the next statusIntervalMs', async () => {
    const { broker, statuses } = await brokerWithSubscriber();
    const probe = probeModule();
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        statusIntervalMs: 600_000,
        locations: [{ id: 'room-1', limits: LIMITS }],
      },
      { modules: [probe] },
    );
    await until(() => statuses().some((s) => s.reason === 'started'), 'the started status');
    const t0 = Date.now();
    // Out of range with no alarm delay: the local alarm is raised with this reading.
    probe
      .ctx()
      .records.readings([{ sensorId: 's1', locationId: 'room-1', ts: t0, tempC: 9.5, quality: 'ok' }]);
    expect(g.status().activeAlarms).toEqual(['temperature_high:room-1']);
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
      .records.readings([{ sensorId: 's1', locationId: 'room-1', ts: t0 + 1000, tempC: 5, quality: 'ok' }]);
    await until(
      () => statuses().at(-1)?.activeAlarms?.length === 0,
      'the cleared alarm in the published status',
    );
  });

  it('keeps sensors[].lastReadingTs and consecutiveErrors fresh in the periodic status', async () => {
    const { broker, statuses } = await brokerWithSubscriber();
    const sim: ModbusSimulator = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 4.2 } },
        { address: 2, profile: { kind: 'no-answer' } },
      ],
    });
    closers.push(() => sim.close());
    await rig.start({
      mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
      statusIntervalMs: 1000,
      modbus: [
        {
          id: 'bus-1',
          path: sim.devicePath,
          timeoutMs: 100,
          retries: 0,
          sensors: [
            { id: 'good', address: 1, locationId: 'room-1', pollMs: 100 },
            { id: 'dead', address: 2, locationId: 'room-1', pollMs: 100 },
          ],
        },
      ],
    });
    const periodic = () => statuses().filter((s) => s.reason === 'periodic');
    const sensor = (s: GatewayStatus, id: string) => s.sensors?.find((x) => x.sensorId === id);
    await until(() => periodic().length >= 3, 'three periodic statuses', { timeoutMs: 20_000 });
    const [a, b, c] = periodic().slice(-3) as [GatewayStatus, GatewayStatus, GatewayStatus];
    // Each periodic status shows the latest poll, not the one that last changed the state.
    expect(sensor(b, 'good')!.lastReadingTs!).toBeGreaterThan(sensor(a, 'good')!.lastReadingTs!);
    expect(sensor(c, 'good')!.lastReadingTs!).toBeGreaterThan(sensor(b, 'good')!.lastReadingTs!);
    expect(sensor(c, 'good')).toMatchObject({ state: 'ok', quality: 'ok', consecutiveErrors: 0 });
    expect(sensor(b, 'dead')!.consecutiveErrors!).toBeGreaterThan(sensor(a, 'dead')!.consecutiveErrors!);
    expect(sensor(c, 'dead')).toMatchObject({ state: 'failed', quality: 'timeout' });
    expect(sensor(c, 'dead')!.lastReadingTs!).toBeGreaterThan(sensor(b, 'dead')!.lastReadingTs!);
    // …and no status per poll: about one a second (periodic, plus the dirty check on a state change).
    expect(statuses().length).toBeLessThan(20);
  });
});
