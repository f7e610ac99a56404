import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Watches this process's event loop for stalls (a loaded CI machine, a long GC, a slow fsync). Tests
 * whose simulator and subject share the process use it to tell a wrong result from one the stall
 * explains, e.g. a portal crossing split in two because no read could be taken in for longer than
 * the dwell time. Call `stop()` when done; `maxStallMs()` is the longest delay seen so far.
 */
export function stallMonitor(): { maxStallMs(): number; stop(): void } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    maxStallMs: () => h.max / 1e6,
    stop: () => h.disable(),
  };
}
