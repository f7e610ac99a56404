import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clockFromEnv,
  SCENARIO_CLOCK_ENV,
  scaledClock,
  scenarioClock,
  scenarioClockEnv,
  systemClock,
} from '../src/clock.js';

describe('scaledClock', () => {
  it('runs scale times faster than the injected real clock from startMs', () => {
    let real = 5_000;
    const clock = scaledClock(1_700_000_000_000, 60, () => real);
    expect(clock.now()).toBe(1_700_000_000_000);
    real += 1_000; // one real second = one scenario minute
    expect(clock.now()).toBe(1_700_000_060_000);
    real += 1;
    expect(clock.now()).toBe(1_700_000_060_060);
  });

  it('rounds to whole milliseconds and supports slowing down', () => {
    let real = 0;
    const clock = scaledClock(1000, 0.5, () => real);
    real = 3;
    expect(clock.now()).toBe(1002); // 1.5 rounds to 2
    expect(Number.isInteger(clock.now())).toBe(true);
  });

  it.each([0, -1, Number.NaN])('rejects scale %d', (scale) => {
    expect(() => scaledClock(0, scale)).toThrow(RangeError);
  });

  it('fires timers in scenario units', async () => {
    const clock = scaledClock(0, 1000);
    const fired = await new Promise<string>((resolve) => {
      clock.setTimeout(() => resolve('timeout'), 10_000); // 10 scenario seconds = 10 real ms
    });
    expect(fired).toBe('timeout');
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const t = clock.setInterval(() => {
        ticks += 1;
        if (ticks === 3) {
          clock.clearInterval(t);
          resolve();
        }
      }, 5_000);
    });
    expect(ticks).toBe(3);
    let cancelled = true;
    const t = clock.setTimeout(() => {
      cancelled = false;
    }, 1_000);
    clock.clearTimeout(t);
    // A later timer of the same clock firing proves the cancelled one's time has passed.
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 2_000));
    expect(cancelled).toBe(true);
  });
});

describe('scenarioClock', () => {
  it('quantises now() to whole ticks from startMs, scale times faster than the real anchor', () => {
    let real = 10_000;
    const clock = scenarioClock(
      { startMs: 1_000_000, realAnchorMs: 10_000, scale: 600, tickMs: 60_000 },
      () => real,
    );
    expect(clock.now()).toBe(1_000_000);
    real += 99; // 59.4 scenario seconds: still in the first tick
    expect(clock.now()).toBe(1_000_000);
    real += 1; // exactly one minute
    expect(clock.now()).toBe(1_060_000);
    real += 250; // 2.5 more minutes
    expect(clock.now()).toBe(1_180_000);
  });

  it('without a quantum behaves like a scaled clock anchored at realAnchorMs', () => {
    let real = 50;
    const clock = scenarioClock({ startMs: 0, realAnchorMs: 0, scale: 10, tickMs: 0 }, () => real);
    expect(clock.now()).toBe(500);
    real = 51;
    expect(clock.now()).toBe(510);
  });

  it('is never earlier than a previous reading (monotone in real time)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 120_000 }),
        (steps, scale, tickMs) => {
          let real = 0;
          const clock = scenarioClock({ startMs: 0, realAnchorMs: 0, scale, tickMs }, () => real);
          let last = clock.now();
          for (const s of steps) {
            real += s;
            const now = clock.now();
            if (now < last) return false;
            if (tickMs > 1 && now % tickMs !== 0) return false;
            last = now;
          }
          return true;
        },
      ),
    );
  });

  it('round-trips through the environment of a child process', () => {
    const p = { startMs: 1_767_600_000_000, realAnchorMs: 1_700_000_000_000, scale: 2400, tickMs: 60_000 };
    const env = scenarioClockEnv(p);
    expect(env[SCENARIO_CLOCK_ENV.scale]).toBe('2400');
    const a = scenarioClock(p);
    const b = clockFromEnv(env);
    expect(Math.abs(a.now() - b.now())).toBeLessThanOrEqual(60_000);
  });

  it('gives the system clock when no variable is set, and rejects a half-set environment', () => {
    expect(clockFromEnv({})).toBe(systemClock);
    expect(() => clockFromEnv({ [SCENARIO_CLOCK_ENV.scale]: '10' })).toThrow(/not set/);
    const env = { ...scenarioClockEnv({ startMs: 0, realAnchorMs: 0, scale: 1, tickMs: 0 }) };
    env[SCENARIO_CLOCK_ENV.scale] = 'fast';
    expect(() => clockFromEnv(env)).toThrow(/not a number/);
  });
});

describe('scenarioClock before its anchor', () => {
  it('stands at startMs until the real anchor passes', () => {
    let real = 0;
    const clock = scenarioClock(
      { startMs: 5_000, realAnchorMs: 1_000, scale: 100, tickMs: 1000 },
      () => real,
    );
    expect(clock.now()).toBe(5_000);
    real = 999;
    expect(clock.now()).toBe(5_000);
    real = 1_020;
    expect(clock.now()).toBe(7_000);
  });
});
