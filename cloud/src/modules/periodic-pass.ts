import type { Clock } from '@coldtrace/shared';

export interface PeriodicPass<T> {
  /** One pass now (also what the timer runs), after the one running if any; `null` once stopping. */
  run(): Promise<T | null>;
  /** Starts a first pass, not awaited, and the timer. */
  start(): void;
  /** Stops the timer and waits for the pass under way. */
  stop(): Promise<void>;
}

/**
 * A module's periodic work (retention, readings partitions): passes run one at a time, once at start
 * and then every `intervalMs` of `clock`. The start does not wait for the first pass, which may take a
 * while. `pass` gets whether the module is stopping, to end a long pass early; its failures are its own
 * to catch and report.
 */
export function periodicPass<T>(o: {
  clock: Clock;
  intervalMs: number;
  pass: (stopping: () => boolean) => Promise<T | null>;
}): PeriodicPass<T> {
  let timer: ReturnType<Clock['setInterval']> | undefined;
  let running: Promise<T | null> = Promise.resolve(null);
  let stopping = false;
  const isStopping = () => stopping;
  const run = () => {
    const next = running.then(() => (stopping ? null : o.pass(isStopping)));
    running = next;
    return next;
  };
  return {
    run,
    start() {
      stopping = false;
      void run();
      timer = o.clock.setInterval(() => void run(), o.intervalMs);
    },
    async stop() {
      stopping = true;
      o.clock.clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
