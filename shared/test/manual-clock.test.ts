import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../src/manual-clock.js';

describe('manualClock', () => {
  it('stands still until moved', () => {
    const c = manualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(250);
    expect(c.now()).toBe(1250);
    c.set(2000);
    expect(c.now()).toBe(2000);
  });

  it('fires timers in due order, each at its own due time, including timers set while firing', () => {
    const c = manualClock(0);
    const log: string[] = [];
    c.setTimeout(() => log.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      log.push(`a@${c.now()}`);
      c.setTimeout(() => log.push(`a2@${c.now()}`), 5);
    }, 10);
    c.setTimeout(() => log.push(`tie@${c.now()}`), 20);
    c.setTimeout(() => log.push(`late@${c.now()}`), 100);
    c.advance(30);
    expect(log).toEqual(['a@10', 'a2@15', 'b@20', 'tie@20']);
    expect(c.now()).toBe(30);
    expect(c.pending()).toBe(1);
    expect(c.nextDueAt()).toBe(100);
  });

  it('repeats intervals and forgets cleared timers', () => {
    const c = manualClock(0);
    const ticks: number[] = [];
    const t = c.setInterval(() => ticks.push(c.now()), 10);
    const never = c.setTimeout(() => ticks.push(-1), 15);
    c.clearTimeout(never);
    c.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
    c.clearInterval(t);
    c.advance(100);
    expect(ticks).toEqual([10, 20, 30]);
    expect(c.pending()).toBe(0);
  });

  it('refuses to go backwards or by a non-finite amount', () => {
    const c = manualClock(100);
    expect(() => c.set(99)).toThrow(RangeError);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(c.now()).toBe(100);
  });

  it('advanceAsync lets async work a timer started schedule its next timer in the same move', async () => {
    const c = manualClock(0);
    const seen: number[] = [];
    const poll = () =>
      c.setTimeout(async () => {
        await Promise.resolve(); // e.g. an I/O round trip
        seen.push(c.now());
        poll();
      }, 100);
    poll();
    await c.advanceAsync(350);
    expect(seen).toEqual([100, 200, 300]);
  });

  it('fires every timer exactly once at its due time, whatever the order of setting and of moves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 10 }),
        (delays, moves) => {
          const c = manualClock(0);
          const fired: Array<{ i: number; at: number }> = [];
          for (const [i, d] of delays.entries()) c.setTimeout(() => fired.push({ i, at: c.now() }), d);
          for (const m of moves) c.advance(m);
          const end = moves.reduce((a, b) => a + b, 0);
          const due = delays.map((d, i) => ({ i, at: d })).filter((x) => x.at <= end);
          expect(fired.map((f) => f.at)).toEqual([...fired.map((f) => f.at)].sort((a, b) => a - b));
          expect(fired.sort((a, b) => a.i - b.i)).toEqual(due);
        },
      ),
    );
  });
});
