import { manualClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { stoppableClock } from '../src/stoppable-clock.js';

describe('stoppableClock (the demo data clock after its journey)', () => {
  it('follows its inner clock until stopped, then stands while timers keep the inner pace', () => {
    const inner = manualClock(1_000);
    const clock = stoppableClock(inner);
    inner.advance(500);
    expect(clock.now()).toBe(1_500);
    expect(clock.stoppedAt()).toBeUndefined();

    expect(clock.stop()).toBe(1_500);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(inner.now()), 200);
    const every = clock.setInterval(() => fired.push(inner.now()), 300);
    inner.advance(1_000);
    expect(clock.now()).toBe(1_500);
    expect(fired).toEqual([1_700, 1_800, 2_100, 2_400]);
    clock.clearInterval(every);
    inner.advance(1_000);
    expect(fired).toHaveLength(4);
    // Stopped once: a later stop (at another time) does not move it.
    expect(clock.stop(9_999)).toBe(1_500);
    expect(clock.stoppedAt()).toBe(1_500);
  });

  it('stops at a time given by whoever stopped first (the cloud process), not its own', () => {
    const inner = manualClock(5_000);
    const clock = stoppableClock(inner);
    expect(clock.stop(4_980)).toBe(4_980);
    inner.advance(60_000);
    expect(clock.now()).toBe(4_980);
  });
});
