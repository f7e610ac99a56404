import { describe, expect, it } from 'vitest';
import {
  afterPoll,
  nextTurn,
  OVERRUN_CLEAR_AFTER,
  type OverrunState,
} from '../../src/modbus/poll-schedule.js';

describe('afterPoll: is a sensor keeping its poll period?', () => {
  const fresh: OverrunState = { overrun: false, onTimeStreak: 0 };
  it('a lost period starts an overrun at once', () => {
    expect(afterPoll(fresh, 1)).toEqual({ overrun: true, onTimeStreak: 0 });
    expect(afterPoll({ overrun: true, onTimeStreak: 2 }, 3)).toEqual({ overrun: true, onTimeStreak: 0 });
  });
  it(`ends it only after ${OVERRUN_CLEAR_AFTER} polls in a row lost none`, () => {
    let s = afterPoll(fresh, 1);
    const seen: boolean[] = [];
    for (let i = 0; i < OVERRUN_CLEAR_AFTER; i++) {
      s = afterPoll(s, 0);
      seen.push(s.overrun);
    }
    expect(seen).toEqual([...Array(OVERRUN_CLEAR_AFTER - 1).fill(true), false]);
    // One lost period in between starts the count again.
    s = afterPoll(afterPoll(afterPoll(fresh, 1), 0), 1);
    expect(afterPoll(afterPoll(s, 0), 0).overrun).toBe(true);
  });
  it('a sensor that never lost a period is never in overrun', () => {
    let s = fresh;
    for (let i = 0; i < 10; i++) s = afterPoll(s, 0);
    expect(s.overrun).toBe(false);
  });
});

describe('nextTurn: who gets the bus', () => {
  const w = (lastTurn: number, quietUntil = Number.NEGATIVE_INFINITY) => ({ lastTurn, quietUntil });
  it('the sensor that had it least recently, whatever order they fell due in', () => {
    expect(nextTurn([w(7), w(3), w(5)], 0)).toBe(1);
    // Never polled yet: in the order they are listed (configuration order at start).
    expect(nextTurn([w(0), w(0), w(4)], 0)).toBe(0);
  });
  it('skips an address resting after a timeout, and says so when all are resting', () => {
    expect(nextTurn([w(1, 500), w(9)], 499)).toBe(1);
    expect(nextTurn([w(1, 500), w(9)], 500)).toBe(0);
    expect(nextTurn([w(1, 500), w(2, 600)], 100)).toBeUndefined();
    expect(nextTurn([], 0)).toBeUndefined();
  });
});
