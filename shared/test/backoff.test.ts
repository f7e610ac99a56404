import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs } from '../src/backoff.js';

describe('backoffDelayMs', () => {
  it.each([
    [1, { initialMs: 100, maxMs: 1000 }, 100],
    [2, { initialMs: 100, maxMs: 1000 }, 200],
    [4, { initialMs: 100, maxMs: 1000 }, 800],
    [5, { initialMs: 100, maxMs: 1000 }, 1000],
    [10_000, { initialMs: 100, maxMs: 1000 }, 1000],
    [3, { initialMs: 100, maxMs: 10_000, factor: 3 }, 900],
    [3, { initialMs: 100, maxMs: 10_000, factor: 1 }, 100],
    [0, { initialMs: 100, maxMs: 1000 }, 100],
    [1, { initialMs: 500, maxMs: 200 }, 200],
  ])('retry %i with %j waits %i ms', (failures, policy, expected) => {
    expect(backoffDelayMs(failures, policy)).toBe(expected);
  });

  it('never shrinks with more failures and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 4 }),
        (initialMs, extra, failures, factor) => {
          const p = { initialMs, maxMs: initialMs + extra, factor };
          const a = backoffDelayMs(failures, p);
          const b = backoffDelayMs(failures + 1, p);
          expect(a).toBeLessThanOrEqual(b);
          expect(b).toBeLessThanOrEqual(p.maxMs);
          expect(a).toBeGreaterThanOrEqual(Math.min(initialMs, p.maxMs));
        },
      ),
    );
  });
});

describe('Backoff', () => {
  it('doubles per consecutive failure and starts over after a success', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 50 });
    expect([b.fail(), b.fail(), b.fail(), b.fail()]).toEqual([10, 20, 40, 50]);
    expect(b.failures).toBe(4);
    b.succeed();
    expect(b.failures).toBe(0);
    expect(b.fail()).toBe(10);
  });

  it.each([
    [{ initialMs: -1, maxMs: 10 }],
    [{ initialMs: 20, maxMs: 10 }],
    [{ initialMs: 1, maxMs: 10, factor: 0.5 }],
    [{ initialMs: Number.NaN, maxMs: 10 }],
  ])('refuses the impossible policy %j', (policy) => {
    expect(() => new Backoff(policy)).toThrow(RangeError);
  });
});
