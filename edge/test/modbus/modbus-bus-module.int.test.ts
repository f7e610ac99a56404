import { rmSync } from 'node:fs';
import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import { readingSchema } from '@coldtrace/shared';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createModbusBusModule, type ModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import type { ModbusBusConfigInput } from '../../src/modbus/modbus-config.js';
import { collectingContext, waitFor } from './harness.js';

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

describe('modbus bus module over a real socat pty', () => {
  it('reads negative and positive temperatures and humidity from several XY-MD02 addresses', async () => {
    sim = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: -18.7, rh: 35.2 } },
        { address: 7, profile: { kind: 'steady', tempC: 4.3, rh: 81.9 } },
      ],
    });
    const { ctx, readings } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [
        { id: 'freezer', address: 1, locationId: 'room-f', pollMs: 100 },
        { id: 'fridge', address: 7, locationId: 'room-c', pollMs: 100, calibrationOffsetC: 0.2 },
      ]),
    );
    await mod.start(ctx);
    await waitFor(() => readings.filter((r) => r.quality === 'ok').length >= 6, 10_000, 'readings');
    for (const r of readings) expect(readingSchema.safeParse(r).success).toBe(true);
    const f = readings.find((r) => r.sensorId === 'freezer')!;
    expect(f).toMatchObject({ locationId: 'room-f', tempC: -18.7, rh: 35.2, quality: 'ok' });
    const c = readings.find((r) => r.sensorId === 'fridge')!;
    expect(c).toMatchObject({ locationId: 'room-c', tempC: 4.5, rh: 81.9, quality: 'ok' });
    expect(mod.sensorHealth().map((h) => h.state)).toEqual(['ok', 'ok']);
  });

  it.each([
    ['no_answer', 'timeout'],
    ['corrupt_crc', 'crc_error'],
    ['exception', 'modbus_exception'],
    ['sentinel', 'sentinel'],
    ['out_of_range', 'out_of_physical_range'],
  ] as const)('fault %s gives quality %s and state, then recovers', async (fault, quality) => {
    sim = await startModbusSimulator({ sensors: [{ address: 3, profile: { kind: 'steady', tempC: 5 } }] });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [{ id: 's3', address: 3, locationId: 'room-1', pollMs: 60 }], { failAfter: 2 }),
    );
    await mod.start(ctx);
    await waitFor(() => readings.some((r) => r.quality === 'ok'), 10_000, 'first ok');
    sim.setProfile(3, { kind: 'sensor-fault', fault });
    await waitFor(() => readings.filter((r) => r.quality === quality).length >= 2, 10_000, quality);
    const bad = readings.find((r) => r.quality === quality)!;
    expect(bad.tempC).toBeNull();
    expect(readingSchema.safeParse(bad).success).toBe(true);
    expect(health.some((h) => h.quality === quality && h.state === 'degraded')).toBe(true);
    expect(health.some((h) => h.quality === quality && h.state === 'failed')).toBe(true);
    sim.setProfile(3, { kind: 'steady', tempC: 6.1 });
    await waitFor(() => readings.at(-1)?.tempC === 6.1, 10_000, 'recovery');
    expect(health.at(-1)).toMatchObject({ state: 'ok', quality: 'ok', consecutiveErrors: 0 });
  });

  it('does not flood the bus while a sensor is failing: one request per interval', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 2, profile: { kind: 'no-answer' } }] });
    const { ctx, readings } = collectingContext();
    mod = createModbusBusModule(bus(sim.devicePath, [{ id: 's2', address: 2, locationId: 'r', pollMs: 50 }]));
    await mod.start(ctx);
    await waitFor(() => readings.length >= 5, 10_000, 'timeouts');
    await mod.stop();
    // the first poll may retry once (sensor never answered yet counts as answering); later ones do not
    expect(sim.stats.requests).toBeLessThanOrEqual(readings.length + 1);
    expect(readings.every((r) => r.quality === 'timeout')).toBe(true);
  });

  it('reopens a device path that disappears and reappears, reporting disconnected meanwhile', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 1, profile: { kind: 'steady', tempC: 2.5 } }] });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(bus(sim.devicePath, [{ id: 's1', address: 1, locationId: 'r', pollMs: 50 }]));
    await mod.start(ctx);
    await waitFor(() => readings.some((r) => r.quality === 'ok'), 10_000, 'ok');
    await sim.vanish();
    await waitFor(
      () => readings.filter((r) => r.quality === 'disconnected').length >= 3,
      10_000,
      'disconnected',
    );
    expect(health.some((h) => h.quality === 'disconnected')).toBe(true);
    const before = mod.stats.reopenAttempts;
    await sim.reappear();
    const n = readings.length;
    await waitFor(
      () => readings.slice(n).some((r) => r.quality === 'ok' && r.tempC === 2.5),
      10_000,
      'reopen',
    );
    expect(mod.stats.reopenAttempts).toBeGreaterThan(before);
    expect(health.at(-1)).toMatchObject({ state: 'ok' });
  });

  it('keeps trying a path that does not exist yet and starts reading once it does', async () => {
    const { ctx, readings } = collectingContext();
    const dir = `/tmp/coldtrace-late-${process.pid}`;
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mod = createModbusBusModule(bus(`${dir}/ttyGW`, [{ id: 's1', address: 1, locationId: 'r', pollMs: 50 }]));
    await mod.start(ctx);
    await waitFor(() => readings.length >= 2, 10_000, 'disconnected readings');
    expect(readings.every((r) => r.quality === 'disconnected')).toBe(true);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    sim = await startModbusSimulator({
      dir,
      sensors: [{ address: 1, profile: { kind: 'steady', tempC: -1 } }],
    });
    await waitFor(() => readings.some((r) => r.quality === 'ok' && r.tempC === -1), 10_000, 'late device');
  });

  it('reports a humidity fault (out of 0..100, sentinel) in the sensor state, keeping the temperature', async () => {
    // The devices send humidity the gateway's XY-MD02 map cannot take: address 1 in 0.01 %RH (so the
    // gateway reads ten times the value: 50 % → 500 %RH), address 2 the uint16 "no value" 0xFFFF.
    const hundredths = {
      functionCode: 4 as const,
      temperature: { register: 1, type: 'int16' as const, scale: 0.1 },
      humidity: { register: 2, type: 'uint16' as const, scale: 0.01 },
    };
    const toFfff = { ...hundredths, humidity: { register: 2, type: 'uint16' as const, scale: 100 / 0xffff } };
    sim = await startModbusSimulator({
      sensors: [
        { address: 1, map: hundredths, profile: { kind: 'steady', tempC: 4.2, rh: 50 } },
        { address: 2, map: toFfff, profile: { kind: 'steady', tempC: -18.5, rh: 100 } },
      ],
    });
    const { ctx, readings, health } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [
        { id: 'h1', address: 1, locationId: 'r', pollMs: 60 },
        { id: 'h2', address: 2, locationId: 'r', pollMs: 60 },
      ]),
    );
    await mod.start(ctx);
    await waitFor(() => readings.filter((r) => r.sensorId === 'h2').length >= 2, 10_000, 'readings');
    const h1 = readings.find((r) => r.sensorId === 'h1')!;
    const h2 = readings.find((r) => r.sensorId === 'h2')!;
    // The temperature is good and stays on record: the reading is `ok`, its humidity null.
    expect(h1).toMatchObject({ quality: 'ok', tempC: 4.2, rh: null });
    expect(h2).toMatchObject({ quality: 'ok', tempC: -18.5, rh: null });
    for (const r of [h1, h2]) expect(readingSchema.safeParse(r).success).toBe(true);
    // The sensor's state says what is wrong.
    const [s1, s2] = mod.sensorHealth();
    expect(s1).toMatchObject({ state: 'degraded', quality: 'ok', consecutiveErrors: 0 });
    expect(s1!.lastError).toMatch(/^humidity 500 %RH outside 0\.\.100/);
    expect(s2).toMatchObject({
      state: 'degraded',
      quality: 'ok',
      lastError: 'humidity: sentinel value 65535',
    });
    // Humidity back in range: ok again, with the value.
    sim.setProfile(1, { kind: 'steady', tempC: 4.3, rh: 9 });
    await waitFor(() => readings.at(-1)?.sensorId === 'h1' && readings.at(-1)?.rh === 90, 10_000, 'rh back');
    expect(health.filter((h) => h.sensorId === 'h1').at(-1)).toEqual({
      sensorId: 'h1',
      locationId: 'r',
      state: 'ok',
      quality: 'ok',
      lastReadingTs: readings.at(-1)!.ts,
      consecutiveErrors: 0,
    });
  });

  it('reads a float32 word-swapped map from holding registers', async () => {
    const map = {
      functionCode: 3 as const,
      temperature: { register: 100, type: 'float32' as const, wordOrder: 'little' as const },
      humidity: { register: 102, type: 'uint16' as const, scale: 0.01 },
    };
    sim = await startModbusSimulator({
      sensors: [{ address: 9, map, profile: { kind: 'steady', tempC: -21.25, rh: 55.55 } }],
    });
    const { ctx, readings } = collectingContext();
    mod = createModbusBusModule(
      bus(sim.devicePath, [{ id: 'f9', address: 9, locationId: 'r', pollMs: 80, profile: map }]),
    );
    await mod.start(ctx);
    await waitFor(() => readings.some((r) => r.quality === 'ok'), 10_000, 'ok');
    expect(readings.find((r) => r.quality === 'ok')).toMatchObject({ tempC: -21.25, rh: 55.55 });
  });

  it('reports a mismatched map (register the device lacks) as a modbus exception, not a crash', async () => {
    sim = await startModbusSimulator({ sensors: [{ address: 4, profile: { kind: 'steady', tempC: 3 } }] });
    const { ctx, readings } = collectingContext();
    const map = { functionCode: 4 as const, temperature: { register: 40, type: 'int16' as const } };
    mod = createModbusBusModule(
      bus(sim.devicePath, [{ id: 's4', address: 4, locationId: 'r', pollMs: 80, profile: map }]),
    );
    await mod.start(ctx);
    await waitFor(() => readings.length >= 1, 10_000, 'reading');
    expect(readings[0]!.quality).toBe('modbus_exception');
  });
});
