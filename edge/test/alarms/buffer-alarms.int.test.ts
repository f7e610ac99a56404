import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import type { NewAlarm } from '../../src/module.js';
import { movement } from '../buffer/fixtures.js';
import { bufferedAlarms, gatewayRig, LIMITS, probeModule } from '../gateway-harness.js';
import { startBroker, startSubscriber } from '../publisher/helpers.js';

/**
 * buffer_high and buffer_full at the gateway (docs/durability.md "Nearing and reaching the bound"): a
 * real gateway on a real SQLite buffer of the smallest size, its uplink a port nothing listens on until
 * an aedes broker is started there. The clock is manual, so "at most every fullAlarmUpdateMs" is exact.
 */
const T = Date.UTC(2026, 0, 1);
const UPDATE_MS = 60_000;
const rig = gatewayRig();
afterEach(() => rig.close());

const temperatureAlarm = (ts: number): NewAlarm => ({
  alarmId: 'temperature_high:room-1',
  kind: 'temperature_high',
  state: 'raised',
  severity: 'warning',
  ts,
  locationId: 'room-1',
  value: 9.5,
  message: 'room-1 above 8 °C',
});

const count = (g: Gateway, alarmId: string, state: 'raised' | 'cleared') =>
  bufferedAlarms(g).filter((a) => a.alarmId === alarmId && a.state === state).length;

describe('buffer alarms', () => {
  it('raises buffer_full once per episode, updates its count at most periodically, keeps room for a temperature alarm, clears when appends succeed', async () => {
    const clock = manualClock(T);
    const port = await freePort();
    const probe = probeModule();
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 100 },
        // NORMAL: no fsync per refusal (durability is not under test here), so thousands run fast.
        buffer: { maxBytes: 64 * 1024, synchronous: 'NORMAL', fullAlarmUpdateMs: UPDATE_MS },
        locations: [{ id: 'room-1', limits: LIMITS }],
      },
      { clock, modules: [probe] },
    );
    const ctx = probe.ctx();
    // Movements are never thinned: the buffer fills, then refuses.
    let i = 0;
    while (g.buffer.stats().refused === 0) ctx.records.movements([movement(i++)]);
    expect(count(g, 'buffer_high', 'raised')).toBe(1);
    expect(count(g, 'buffer_full', 'raised')).toBe(1);
    for (let k = 0; k < 3000; k++) ctx.records.movements([movement(i++)]);
    expect(g.buffer.stats().refused).toBe(3001);
    // One alarm for the whole episode (it was one per refusal: ~250 filled the alarm reserve).
    expect(count(g, 'buffer_full', 'raised')).toBe(1);
    expect(g.status().activeAlarms).toEqual(['buffer_full', 'buffer_high']);

    // A temperature alarm is stored however long the episode lasts.
    ctx.records.alarms([temperatureAlarm(clock.now())]);
    expect(bufferedAlarms(g).at(-1)).toMatchObject({ alarmId: 'temperature_high:room-1', state: 'raised' });

    // The count is updated once the period has passed, not before.
    clock.advance(UPDATE_MS - 1);
    ctx.records.movements([movement(i++)]);
    expect(count(g, 'buffer_full', 'raised')).toBe(1);
    clock.advance(1);
    ctx.records.movements([movement(i++)]);
    expect(count(g, 'buffer_full', 'raised')).toBe(2);
    expect(bufferedAlarms(g).at(-1)).toMatchObject({ alarmId: 'buffer_full', state: 'raised', value: 3003 });
    expect(bufferedAlarms(g).at(-1)!.message).toMatch(/3003 records refused since 2026-01-01T00:00:00/);

    // Uplink back: the backlog drains; the next accepted append ends the episode.
    const broker = await startBroker({ port, holdUntilSubscribed: true });
    const sub = await startSubscriber(port);
    try {
      await until(() => g.buffer.stats().records === 0, 'backlog drained');
      ctx.records.movements([movement(i++)]);
      const alarms = () =>
        sub.of('alarms').flatMap((b) => b.value.records as { alarmId: string; state: string }[]);
      await until(
        () => alarms().some((a) => a.alarmId === 'buffer_full' && a.state === 'cleared'),
        'buffer_full cleared at the broker',
      );
      await until(
        () => alarms().some((a) => a.alarmId === 'buffer_high' && a.state === 'cleared'),
        'buffer_high cleared at the broker',
      );
      expect(
        alarms()
          .filter((a) => a.alarmId === 'buffer_full')
          .map((a) => a.state),
      ).toEqual(['raised', 'raised', 'cleared']);
      expect(g.status().activeAlarms).toEqual([]);
      expect(sub.invalid).toEqual([]);
    } finally {
      await g.stop();
      await sub.close();
      await broker.close();
    }
  });

  it('raises buffer_high once per episode across a restart, and clears it once drained', async () => {
    const port = await freePort();
    const dataDir = join(rig.dir(), 'gw');
    const config = {
      dataDir,
      mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 100 },
      buffer: { maxBytes: 64 * 1024, synchronous: 'NORMAL' as const },
    };
    const probe = probeModule();
    const g1 = await rig.start(config, { modules: [probe] });
    let i = 0;
    while (g1.buffer.stats().bytes < 0.85 * 64 * 1024) probe.ctx().records.movements([movement(i++)]);
    expect(count(g1, 'buffer_high', 'raised')).toBe(1);
    await g1.stop();

    // Reopened still above 80 %: the episode goes on, nothing new is raised.
    const g2 = await rig.start(config);
    expect(count(g2, 'buffer_high', 'raised')).toBe(1);
    expect(g2.status().activeAlarms).toEqual(['buffer_high']);
    await g2.stop();

    // Drained by the broker while running: cleared once; a restart after that raises nothing.
    const broker = await startBroker({ port });
    const sub = await startSubscriber(port);
    try {
      const g3 = await rig.start(config);
      await until(() => g3.status().activeAlarms?.length === 0, 'buffer_high cleared');
      await until(() => g3.buffer.stats().records === 0, 'backlog drained');
      await g3.stop();
      const g4 = await rig.start(config);
      expect(bufferedAlarms(g4)).toEqual([]);
      await g4.stop();
      const high = sub
        .of('alarms')
        .flatMap((b) => b.value.records as { alarmId: string; state: string }[])
        .filter((a) => a.alarmId === 'buffer_high');
      expect(high.map((a) => a.state)).toEqual(['raised', 'cleared']);
    } finally {
      await sub.close();
      await broker.close();
    }
  });
});
