import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBurstLimiter } from '../../src/security/event-burst.js';

describe('EventBurstLimiter', () => {
  it('records up to max per window, then counts, and states the count on the next window', () => {
    const l = new EventBurstLimiter(3, 60_000);
    const t0 = 1_000_000;
    const recorded = [0, 1, 2, 3, 4].map((i) => l.admit('k', t0 + i).record);
    expect(recorded).toEqual([true, true, true, false, false]);
    // Another key has its own window.
    expect(l.admit('other', t0 + 5).record).toBe(true);
    const next = l.admit('k', t0 + 60_000);
    expect(next).toMatchObject({ record: true, suppressedBefore: 2 });
    expect(l.admit('k', t0 + 60_001)).toMatchObject({ record: true, suppressedBefore: 0 });
  });

  it('drain returns every count not yet stated', () => {
    const l = new EventBurstLimiter(1, 60_000);
    l.admit('a', 0);
    l.admit('a', 1);
    l.admit('a', 2);
    l.admit('b', 3);
    expect(l.drain()).toEqual([{ key: 'a', suppressed: 2, since: 0 }]);
    expect(l.drain()).toEqual([]);
  });

  it('evicts the oldest keys beyond maxKeys and returns their counts', () => {
    const l = new EventBurstLimiter(1, 60_000, 2);
    l.admit('a', 0);
    l.admit('a', 1);
    l.admit('b', 2);
    const third = l.admit('c', 3);
    expect(third.evicted).toEqual([{ key: 'a', suppressed: 1, since: 0 }]);
  });

  // Nothing is lost: every event is either recorded or stated in a count (next window, eviction or drain).
  it('accounts for every event, whatever the keys and times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 5_000 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (events, max, maxKeys) => {
          const l = new EventBurstLimiter(max, 1_000, maxKeys);
          let t = 0;
          let accounted = 0;
          for (const [key, dt] of events) {
            t += dt;
            const d = l.admit(key, t);
            accounted += (d.record ? 1 : 0) + d.suppressedBefore;
            accounted += d.evicted.reduce((n, c) => n + c.suppressed, 0);
          }
          accounted += l.drain().reduce((n, c) => n + c.suppressed, 0);
          expect(accounted).toBe(events.length);
        },
      ),
    );
  });
});
