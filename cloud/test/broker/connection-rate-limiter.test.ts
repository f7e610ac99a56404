import { manualClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { ConnectionRateLimiter } from '../../src/broker/connection-rate-limiter.js';

describe('ConnectionRateLimiter', () => {
  it('allows a burst per source, then the refill rate, and says when a source is first refused', () => {
    const clock = manualClock(0);
    const limiter = new ConnectionRateLimiter({ burst: 3, perSecond: 2 }, clock);
    const take = (s = '10.0.0.1') => limiter.take(s);
    expect([take(), take(), take()].map((r) => r.allowed)).toEqual([true, true, true]);
    expect(take()).toEqual({ allowed: false, firstRefusal: true });
    expect(take()).toEqual({ allowed: false, firstRefusal: false });
    // Another source has its own bucket.
    expect(take('10.0.0.2').allowed).toBe(true);
    clock.advance(499);
    expect(take().allowed).toBe(false);
    clock.advance(1); // 0.5 s at 2/s: one connection
    expect(take()).toEqual({ allowed: true, firstRefusal: false });
    expect(take()).toEqual({ allowed: false, firstRefusal: true });
    // Refills up to the burst, never beyond.
    clock.advance(60_000);
    expect([take(), take(), take(), take()].map((r) => r.allowed)).toEqual([true, true, true, false]);
  });
});
