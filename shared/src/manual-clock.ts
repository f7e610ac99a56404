import type { Clock, ClockTimer } from './clock.js';

/**
 * A clock that moves only when told: the one manual clock of tests and of the scenario runner's
 * discrete-event mode. Timers fire in due-time order (ties in the order they were set) when time is
 * moved past them, each with `now()` at its own due time; timers set by a firing callback fire in the
 * same move if they fall due within it.
 */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due (synchronously). */
  advance(ms: number): void;
  /** Moves time forward to `ms` (epoch ms; never backwards), firing what falls due. */
  set(ms: number): void;
  /**
   * As `advance`, but lets promises and I/O callbacks settle (a macrotask turn) after each timer, so
   * async work a timer starts can schedule its own next timer before time moves on.
   */
  advanceAsync(ms: number): Promise<void>;
  /** Due time of the earliest pending timer, or undefined. */
  nextDueAt(): number | undefined;
  /** Number of pending timers (intervals count once). */
  pending(): number;
}

interface Entry {
  id: number;
  due: number;
  fn: () => void;
  /** Interval period; undefined for a one-shot timer. */
  every: number | undefined;
}

export function manualClock(startMs = 0): ManualClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, Entry>();
  const handle = (id: number) => ({ manualTimerId: id }) as unknown as ClockTimer;
  const idOf = (t: ClockTimer | undefined) =>
    (t as unknown as { manualTimerId?: number } | undefined)?.manualTimerId;
  const earliest = (limit: number): Entry | undefined => {
    let best: Entry | undefined;
    for (const e of timers.values())
      if (e.due <= limit && (!best || e.due < best.due || (e.due === best.due && e.id < best.id))) best = e;
    return best;
  };
  const fire = (e: Entry) => {
    now = Math.max(now, e.due);
    if (e.every === undefined) timers.delete(e.id);
    else e.due += e.every;
    e.fn();
  };
  const target = (ms: number) => {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`manual clock: cannot move by ${ms} ms`);
    return now + ms;
  };
  const add = (fn: () => void, ms: number, every: number | undefined): ClockTimer => {
    const id = nextId++;
    timers.set(id, { id, due: now + Math.max(0, ms), fn, every });
    return handle(id);
  };
  const clear = (t: ClockTimer | undefined) => {
    const id = idOf(t);
    if (id !== undefined) timers.delete(id);
  };
  const clock: ManualClock = {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, undefined),
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
    advance(ms) {
      const end = target(ms);
      for (let e = earliest(end); e; e = earliest(end)) fire(e);
      now = end;
    },
    set(ms) {
      if (ms < now) throw new RangeError(`manual clock: cannot go back from ${now} to ${ms}`);
      clock.advance(ms - now);
    },
    async advanceAsync(ms) {
      const end = target(ms);
      for (let e = earliest(end); e; e = earliest(end)) {
        fire(e);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      now = end;
    },
    nextDueAt: () => {
      let due: number | undefined;
      for (const e of timers.values()) if (due === undefined || e.due < due) due = e.due;
      return due;
    },
    pending: () => timers.size,
  };
  return clock;
}
