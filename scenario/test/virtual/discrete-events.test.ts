import { type ManualClock, manualClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import {
  eventLoopTurn,
  quiesce,
  runDiscreteEvents,
  type TimedAction,
} from '../../src/virtual/discrete-events.js';

/**
 * A world without I/O: operations "in flight" for a number of event-loop turns (a request on a serial
 * line, bytes on a TCP link), a gateway that polls a sensor on the clock and stamps each reading with
 * the clock's now when the answer arrives, and a silent sensor whose timeout is a timer of the clock.
 * Every time the loop asks whether the world is busy, the fake notes the clock's time, so a test can
 * show time never moved while something was in flight.
 */
function fakeWorld(clock: ManualClock) {
  const inFlight: Array<{ what: string; turnsLeft: number; done: () => void }> = [];
  const seenWhileBusy: Array<{ what: string; at: number }> = [];
  const world = {
    busy(): string | undefined {
      const op = inFlight[0];
      if (!op) return undefined;
      seenWhileBusy.push({ what: op.what, at: clock.now() });
      return op.what;
    },
    async turn(): Promise<void> {
      await eventLoopTurn();
      for (const op of [...inFlight]) {
        op.turnsLeft--;
        if (op.turnsLeft <= 0) {
          inFlight.splice(inFlight.indexOf(op), 1);
          op.done();
        }
      }
    },
  };
  /** Starts an operation that takes `turns` event-loop turns, then calls `done`. */
  const send = (what: string, turns: number, done: () => void) =>
    inFlight.push({ what, turnsLeft: turns, done });
  return { world, send, seenWhileBusy };
}

/** A gateway polling one sensor every `pollMs`; a silent sensor never answers, so its 300 ms timeout fires. */
function pollingGateway(
  clock: ManualClock,
  send: ReturnType<typeof fakeWorld>['send'],
  o: { pollMs: number; silent: (atMs: number) => boolean },
) {
  const readings: Array<{ ts: number; quality: 'ok' | 'timeout'; polledAt: number }> = [];
  const poll = () => {
    const polledAt = clock.now();
    send('request on the serial line', 4, () => {
      if (o.silent(polledAt)) {
        // Nothing comes back: the gateway's timeout is a timer of its (the loop's) clock.
        clock.setTimeout(() => readings.push({ ts: clock.now(), quality: 'timeout', polledAt }), 300);
        return;
      }
      send('answer on the serial line', 3, () => readings.push({ ts: clock.now(), quality: 'ok', polledAt }));
    });
  };
  clock.setInterval(poll, o.pollMs);
  return readings;
}

const T0 = Date.UTC(2026, 0, 5, 6);

describe('the discrete-event loop', () => {
  it('never moves time while something is in flight: every reading carries its poll time', async () => {
    const clock = manualClock(T0);
    const { world, send, seenWhileBusy } = fakeWorld(clock);
    const readings = pollingGateway(clock, send, { pollMs: 20_000, silent: () => false });
    const r = await runDiscreteEvents({ clock, world, endMs: T0 + 60_000 });
    expect(r.stopped).toBe('end');
    expect(readings).toEqual(
      [20_000, 40_000, 60_000].map((t) => ({ ts: T0 + t, quality: 'ok', polledAt: T0 + t })),
    );
    // The loop saw each poll busy after 6 of its 7 turns (the 7th completes it), every time at the
    // instant the poll began.
    expect(seenWhileBusy).toHaveLength(3 * 6);
    for (const s of seenWhileBusy) expect((s.at - T0) % 20_000, JSON.stringify(s)).toBe(0);
    expect(new Set(seenWhileBusy.map((s) => s.what))).toEqual(
      new Set(['request on the serial line', 'answer on the serial line']),
    );
  });

  it('fires a timer set while the world comes to rest at its own time, in order with the others', async () => {
    const clock = manualClock(T0);
    const { world, send } = fakeWorld(clock);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`A@${clock.now() - T0}`), 20);
    clock.setTimeout(() => {
      fired.push(`start@${clock.now() - T0}`);
      // I/O that, once it completes (some turns later, at the same instant), sets a timer 5 ms on.
      send('request', 3, () => {
        fired.push(`done@${clock.now() - T0}`);
        clock.setTimeout(() => fired.push(`B@${clock.now() - T0}`), 5);
        clock.setTimeout(() => fired.push(`C@${clock.now() - T0}`), 10);
      });
    }, 10);
    await runDiscreteEvents({ clock, world, endMs: T0 + 100 });
    // C is due at 20 like A, but A was set first: ties fire in the order they were set.
    expect(fired).toEqual(['start@10', 'done@10', 'B@15', 'A@20', 'C@20']);
    expect(clock.now()).toBe(T0 + 100);
  });

  it("lets a silent sensor's timeout fire on the clock: the reading is stamped at poll time + timeout", async () => {
    const clock = manualClock(T0);
    const { world, send } = fakeWorld(clock);
    // Silent from 40 s to 80 s.
    const readings = pollingGateway(clock, send, {
      pollMs: 20_000,
      silent: (t) => t - T0 >= 40_000 && t - T0 < 80_000,
    });
    let realNow = 0;
    const r = await runDiscreteEvents({
      clock,
      world,
      endMs: T0 + 100_000,
      // The loop never waits for real time to pass: a stuck wait would throw past this bound.
      realNow: () => realNow++,
      stuckAfterRealMs: 1000,
    });
    expect(r.stopped).toBe('end');
    expect(readings.map((x) => [x.ts - T0, x.quality])).toEqual([
      [20_000, 'ok'],
      [40_300, 'timeout'],
      [60_300, 'timeout'],
      [80_000, 'ok'],
      [100_000, 'ok'],
    ]);
  });

  it('ends at the scenario end: later timers do not fire, actions at the end run after its timers', async () => {
    const clock = manualClock(T0);
    const { world } = fakeWorld(clock);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`timer@${clock.now() - T0}`), 1000);
    clock.setTimeout(() => log.push(`late@${clock.now() - T0}`), 1001);
    const actions: TimedAction[] = [
      { atMs: T0 + 500, run: () => log.push(`action@${clock.now() - T0}`) },
      { atMs: T0 + 1000, run: () => log.push(`end-action@${clock.now() - T0}`) },
    ];
    const r = await runDiscreteEvents({ clock, world, actions, endMs: T0 + 1000 });
    expect(log).toEqual(['action@500', 'timer@1000', 'end-action@1000']);
    expect(r).toMatchObject({ stopped: 'end', actions: 2 });
    expect(clock.now()).toBe(T0 + 1000);
    expect(clock.nextDueAt()).toBe(T0 + 1001);
  });

  it('stops where `until` says, once the world is at rest', async () => {
    const clock = manualClock(T0);
    const { world, send } = fakeWorld(clock);
    let acked = 0;
    clock.setInterval(() => send('batch', 2, () => acked++), 100);
    const r = await runDiscreteEvents({ clock, world, endMs: T0 + 10_000, until: () => acked >= 3 });
    expect(r.stopped).toBe('until');
    expect(acked).toBe(3);
    expect(clock.now()).toBe(T0 + 300);
  });

  it('stops waiting when aborted, without moving time', async () => {
    const clock = manualClock(T0);
    const { world, send } = fakeWorld(clock);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 10);
    send('a request nobody answers', Number.POSITIVE_INFINITY, () => {});
    const abort = new AbortController();
    // Aborted (e.g. Ctrl-C) while the loop waits for the world to come to rest.
    let checks = 0;
    const watched = {
      turn: world.turn,
      busy: () => {
        if (++checks === 5) abort.abort();
        return world.busy();
      },
    };
    const r = await runDiscreteEvents({ clock, world: watched, endMs: T0 + 100, signal: abort.signal });
    expect(r.stopped).toBe('aborted');
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(T0);
  });

  it('fails loudly, naming what stays in flight, when the world never comes to rest', async () => {
    const clock = manualClock(T0);
    const { world, send } = fakeWorld(clock);
    send('a request nobody answers', Number.POSITIVE_INFINITY, () => {});
    let realNow = 0;
    await expect(quiesce(world, { realNow: () => (realNow += 100), stuckAfterRealMs: 1000 })).rejects.toThrow(
      /did not come to rest within 1 s of real time: a request nobody answers/,
    );
    expect(clock.now()).toBe(T0);
  });
});
