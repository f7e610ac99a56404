import { rmSync } from 'node:fs';
import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import { readingSchema } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createModbusBusModule, type ModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import type { ModbusBusConfigInput } from '../../src/modbus/modbus-config.js';
import { collectingContext } from './harness.js';

let sim: ModbusSimulator | undefined;
let mod: ModbusBusModule | undefined;
afterEach(async () => {
  await mod?.stop();
  await sim?.close();
  mod = undefined;
  sim = undefined;
});

const bus = (
  path: string,
  sensors: ModbusBusConfigInput['sensors'],
  extra: Partial<ModbusBusConfigInput> = {},
): ModbusBusConfigInput => ({
  id: 'bus1',
  path,
  timeoutMs: 150,
  retries: 1,
  retryDelayMs: 5,
  reopenMinMs: 50,
  reopenMaxMs: 400,
  sensors,
  ...extra,
});

/**
 * The wiring of the bus module over a real pseudo-terminal: real modbus-serial requests, the simulator
 * answering as the devices would. The rules themselves (error or registers → quality, sensor state,
 * retries) are pure functions with their own tables (error-quality.test.ts, reading-quality.test.ts).
 */
describe('modbus bus module over a real socat pty', () => {
  it('reads several devices of one bus: XY-MD02s (FC 0x04), a float32 word-swapped map (FC 0x03), a humidity fault', async () => {
    const float32Map = {
      functionCode: 3 as const,
      temperature: { register: 100, type: 'float32' as const, wordOrder: 'little' as const },
      humidity: { register: 102, type: 'uint16' as const, scale: 0.01 },
    };
    // The device sends humidity in 0.01 %RH, the gateway's XY-MD02 map reads 0.1: 50 % arrives as 500 %RH.
    const hundredths = {
      functionCode: 4 as const,
      temperature: { register: 1, type: 'int16' as const, scale: 0.1 },
      humidity: { register: 2, type: 'uint16' as const, scale: 0.01 },
    };
    sim = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: -18.7, rh: 35.2 } },
        { address: 7, profile: { kind: 'steady', tempC: 4.3, rh: 81.9 } },
        { address: 9, map: float32Map, profile: { kind: 'steady', tempC: -21.25, rh: 55.55 } },
        { address: 4, map: hundredths, profile: { kind: 'steady', tempC: 4.2, rh: 50 } },
      ],
    });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [
        { id: 'freezer', address: 1, locationId: 'room-f', pollMs: 100 },
        { id: 'fridge', address: 7, locationId: 'room-c', pollMs: 100, calibrationOffsetC: 0.2 },
        { id: 'f9', address: 9, locationId: 'room-f', pollMs: 100, profile: float32Map },
        { id: 'rh-bad', address: 4, locationId: 'room-c', pollMs: 100 },
      ]),
    );
    await mod.start(ctx);
    const first = (id: string) => readings.find((r) => r.sensorId === id);
    await until(() => ['freezer', 'fridge', 'f9', 'rh-bad'].every(first), 'a reading of every sensor');
    for (const r of readings) expect(readingSchema.safeParse(r).success).toBe(true);
    expect(first('freezer')).toMatchObject({ locationId: 'room-f', tempC: -18.7, rh: 35.2, quality: 'ok' });
    expect(first('fridge')).toMatchObject({ locationId: 'room-c', tempC: 4.5, rh: 81.9, quality: 'ok' });
    expect(first('f9')).toMatchObject({ tempC: -21.25, rh: 55.55, quality: 'ok' });
    // A humidity fault keeps the temperature on record; the sensor's state says what is wrong.
    expect(first('rh-bad')).toMatchObject({ tempC: 4.2, rh: null, quality: 'ok' });
    expect(health.find((h) => h.sensorId === 'rh-bad' && h.quality !== undefined)).toMatchObject({
      state: 'degraded',
      quality: 'ok',
      consecutiveErrors: 0,
      lastError: 'humidity 500 %RH outside 0..100',
    });
    expect(mod.sensorHealth().map((h) => [h.sensorId, h.state])).toEqual([
      ['freezer', 'ok'],
      ['fridge', 'ok'],
      ['f9', 'ok'],
      ['rh-bad', 'degraded'],
    ]);
  });

  it('turns each fault on the wire into an error reading of its quality, fails the sensor, and recovers', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 3, profile: { kind: 'steady', tempC: 5 } }] });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [{ id: 's3', address: 3, locationId: 'room-1', pollMs: 60 }], { failAfter: 2 }),
    );
    await mod.start(ctx);
    await until(() => readings.some((r) => r.quality === 'ok'), 'first ok');
    for (const [fault, quality] of [
      ['no_answer', 'timeout'],
      ['corrupt_crc', 'crc_error'],
      ['exception', 'modbus_exception'],
      ['sentinel', 'sentinel'],
      ['out_of_range', 'out_of_physical_range'],
    ] as const) {
      const from = readings.length;
      sim.setProfile(3, { kind: 'sensor-fault', fault });
      const bad = await until(() => readings.slice(from).find((r) => r.quality === quality), quality);
      expect(bad, fault).toMatchObject({ tempC: null, quality });
      expect(readingSchema.safeParse(bad).success).toBe(true);
    }
    // The first error degraded the sensor, the second (failAfter) failed it, each with its quality.
    const states = health.filter((h) => h.quality !== undefined && h.quality !== 'ok').map((h) => h.state);
    expect(states.slice(0, 2)).toEqual(['degraded', 'failed']);
    expect(health.at(-1)).toMatchObject({ state: 'failed', quality: 'out_of_physical_range' });
    sim.setProfile(3, { kind: 'steady', tempC: 6.1 });
    await until(() => readings.at(-1)?.tempC === 6.1, 'recovery');
    expect(health.at(-1)).toMatchObject({ state: 'ok', quality: 'ok', consecutiveErrors: 0 });
  });

  it('does not flood the bus while a sensor is failing: one request per interval', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 2, profile: { kind: 'no-answer' } }] });
    const { ctx, readings } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [{ id: 's2', address: 2, locationId: 'r', pollMs: 50 }], { timeoutMs: 40 }),
    );
    await mod.start(ctx);
    await until(() => readings.length >= 5, 'timeouts');
    await mod.stop();
    // The first poll retries once (the sensor had not failed yet); later ones do not. Nothing is sent
    // after stop(), so once the simulator has framed that many requests the count is final.
    const expected = readings.length + 1;
    await until(() => sim!.stats.requests >= expected, 'every request framed by the simulator');
    expect(sim.stats.requests).toBe(expected);
    expect(readings.every((r) => r.quality === 'timeout')).toBe(true);
  });

  it('reopens a device path that disappears and reappears, reporting disconnected meanwhile', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 1, profile: { kind: 'steady', tempC: 2.5 } }] });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(bus(sim.devicePath, [{ id: 's1', address: 1, locationId: 'r', pollMs: 50 }]));
    await mod.start(ctx);
    await until(() => readings.some((r) => r.quality === 'ok'), 'ok');
    await sim.vanish();
    await until(() => readings.filter((r) => r.quality === 'disconnected').length >= 3, 'disconnected');
    expect(health.some((h) => h.quality === 'disconnected')).toBe(true);
    const before = mod.stats.reopenAttempts;
    await sim.reappear();
    const n = readings.length;
    await until(() => readings.slice(n).some((r) => r.quality === 'ok' && r.tempC === 2.5), 'reopen');
    expect(mod.stats.reopenAttempts).toBeGreaterThan(before);
    expect(health.at(-1)).toMatchObject({ state: 'ok' });
  });

  it('keeps trying a path that does not exist yet and starts reading once it does', async () => {
    const { ctx, readings } = collectingContext();
    const dir = `/tmp/coldtrace-late-${process.pid}`;
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mod = createModbusBusModule(bus(`${dir}/ttyGW`, [{ id: 's1', address: 1, locationId: 'r', pollMs: 50 }]));
    await mod.start(ctx);
    await until(() => readings.length >= 2, 'disconnected readings');
    expect(readings.every((r) => r.quality === 'disconnected')).toBe(true);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    sim = await startModbusSimulator({
      dir,
      sensors: [{ address: 1, profile: { kind: 'steady', tempC: -1 } }],
    });
    await until(() => readings.some((r) => r.quality === 'ok' && r.tempC === -1), 'late device');
  });
});
