import type { Clock } from '@coldtrace/shared';

/** A clock whose "now" can be made to stand still (docs/architecture.md "Simulators and scenarios"). */
export interface StoppableClock extends Clock {
  /**
   * Stops "now" at `atMs` (default: the inner clock's now) and returns it; later calls return the time
   * already stopped at. Timers keep the inner clock's pace, so whoever still uses them (the cloud's
   * evaluation debounce, its outbox poll) keeps working.
   */
  stop(atMs?: number): number;
  /** Where "now" stands, or undefined while it runs. */
  stoppedAt(): number | undefined;
}

/**
 * The demo's data clock after its journey: the data has ended (the site's simulators and gateways are
 * shut down), so the time of the data stands at the journey's end instead of racing on at the
 * scenario's scale. Times of people's actions never came from it (they are wall-clock).
 */
export function stoppableClock(inner: Clock): StoppableClock {
  let stopped: number | undefined;
  return {
    now: () => stopped ?? inner.now(),
    setTimeout: (fn, ms) => inner.setTimeout(fn, ms),
    clearTimeout: (t) => inner.clearTimeout(t),
    setInterval: (fn, ms) => inner.setInterval(fn, ms),
    clearInterval: (t) => inner.clearInterval(t),
    stop(atMs) {
      stopped ??= atMs ?? inner.now();
      return stopped;
    },
    stoppedAt: () => stopped,
  };
}
