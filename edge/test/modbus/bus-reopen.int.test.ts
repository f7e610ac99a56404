import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModbusSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createModbusBusModule, type ModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import { collectingContext } from './harness.js';

const T0 = Date.UTC(2026, 0, 1);
let sim: ModbusSimulator | undefined;
let mod: ModbusBusModule | undefined;
let dir: string | undefined;
afterEach(async () => {
  await mod?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  mod = sim = dir = undefined;
});

/**
 * A bus whose device is missing at start (a USB adapter not plugged in yet). The reopen backoff runs on
 * the gateway's clock, a manual one here, so the test says exactly when each attempt is due; the serial
 * I/O itself is real (a socat pty that appears when the simulator starts).
 */
async function missingDevice(watchPath: boolean) {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-reopen-'));
  const clock = manualClock(T0);
  const h = collectingContext(clock);
  mod = createModbusBusModule({
    id: 'bus1',
    path: join(dir, 'ttyGW'),
    watchPath,
    sensors: [{ id: 's1', address: 1, locationId: 'room', pollMs: 60_000 }],
  });
  await mod.start(h.ctx);
  const m = mod;
  return { clock, ...h, attempts: () => m.report().reopenAttempts, open: () => m.report().deviceOpen };
}

const device = (d: string) =>
  startModbusSimulator({ dir: d, sensors: [{ address: 1, profile: { kind: 'steady', tempC: 3.5 } }] });

describe('reopening a missing device', () => {
  it('tries again after 1, 2, 4, then every 5 s by default, so a returning device is read within 5 s', async () => {
    const g = await missingDevice(false);
    expect(g.attempts()).toBe(1);
    expect(g.readings).toMatchObject([{ quality: 'disconnected' }]);
    // The poll timer and the reopen timer: the failed attempt has scheduled the next one.
    const scheduled = () => g.clock.pending() === 2;
    for (const delayMs of [1000, 2000, 4000, 5000, 5000]) {
      await until(scheduled, 'the next attempt scheduled');
      const n = g.attempts();
      await g.clock.advanceAsync(delayMs - 1);
      expect(g.attempts(), `not before ${delayMs} ms`).toBe(n);
      await g.clock.advanceAsync(1);
      expect(g.attempts(), `at ${delayMs} ms`).toBe(n + 1);
    }
    await until(scheduled, 'the next attempt scheduled');
    // The device returns; with no path watch only the timer reopens it, at the latest 5 s on.
    sim = await device(dir!);
    const n = g.attempts();
    await g.clock.advanceAsync(4999);
    expect(g.open()).toBe(false);
    await g.clock.advanceAsync(1);
    expect(g.attempts()).toBe(n + 1);
    await until(g.open, 'the device open');
    await g.clock.advanceAsync(g.clock.nextDueAt()! - g.clock.now());
    await until(() => g.readings.some((r) => r.quality === 'ok' && r.tempC === 3.5), 'a reading');
  });

  it('reopens at once when the device path appears, without waiting for the backoff', async () => {
    const g = await missingDevice(true);
    expect(g.attempts()).toBe(1);
    expect(g.open()).toBe(false);
    // The clock stands still: only the path watch can make the next attempt.
    sim = await device(dir!);
    await until(g.open, 'the device open');
    expect(g.clock.now()).toBe(T0);
  });
});
