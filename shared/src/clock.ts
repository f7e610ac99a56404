/**
 * Time source injected wherever code needs "now" or timers. Production code uses `systemClock`; the
 * scenario runner injects a scaled clock (hours of scenario in seconds of wall time) or, on its
 * discrete-event clock, the manual clock (`manual-clock.ts`) that it moves from event to event.
 */
export interface Clock {
  /** Epoch milliseconds UTC. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
  setInterval(fn: () => void, ms: number): ClockTimer;
  clearInterval(timer: ClockTimer | undefined): void;
}

export type ClockTimer = { readonly __clockTimer: unique symbol } | ReturnType<typeof setTimeout>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout> | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval> | undefined),
};

/**
 * A clock whose time runs `scale` times faster than the wall clock from `startMs`.
 * Timers fire after `ms / scale` real milliseconds, so scenario code keeps scenario units.
 */
export function scaledClock(startMs: number, scale: number, realNow: () => number = Date.now): Clock {
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
  const realStart = realNow();
  return {
    now: () => Math.round(startMs + (realNow() - realStart) * scale),
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms / scale)),
    clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout> | undefined),
    setInterval: (fn, ms) => setInterval(fn, Math.max(1, ms / scale)),
    clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval> | undefined),
  };
}

/** Parameters of a scenario clock, shareable between processes (all times epoch ms). */
export interface ScenarioClockParams {
  /** Scenario time at the real anchor. */
  startMs: number;
  /** Real (wall-clock) epoch ms at which the scenario was at `startMs`. */
  realAnchorMs: number;
  /** Scenario ms per real ms. */
  scale: number;
  /** `now()` is quantised down to a multiple of this (scenario ms from `startMs`); 0 or 1 = none. */
  tickMs: number;
}

/**
 * The scenario runner's clock: `scaledClock` with an explicit real anchor (so a child process sharing
 * the anchor, which is wall-clock epoch ms, agrees on "now") and an optional quantum. With a quantum,
 * every event stamped inside one tick gets the tick's time, so event times do not depend on how fast
 * the machine happens to run (e.g. a sensor polled a few real ms late still gets the same stamp).
 * Before `realAnchorMs` the clock stands at `startMs`, so components can be set up ahead of the start.
 */
export function scenarioClock(p: ScenarioClockParams, realNow: () => number = Date.now): Clock {
  if (!(p.scale > 0)) throw new RangeError(`scale must be > 0, got ${p.scale}`);
  if (!(p.tickMs >= 0) || !Number.isFinite(p.tickMs))
    throw new RangeError(`tickMs must be >= 0, got ${p.tickMs}`);
  const tick = p.tickMs > 1 ? p.tickMs : 1;
  return {
    now: () => {
      // Before the anchor the scenario has not begun: time stands at startMs (set-up happens there).
      const elapsed = Math.max(0, realNow() - p.realAnchorMs) * p.scale;
      return p.startMs + Math.floor(elapsed / tick) * tick;
    },
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms / p.scale)),
    clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout> | undefined),
    setInterval: (fn, ms) => setInterval(fn, Math.max(1, ms / p.scale)),
    clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval> | undefined),
  };
}

/** Environment variables through which a child process (a gateway) joins a scenario clock. */
export const SCENARIO_CLOCK_ENV = {
  startMs: 'COLDTRACE_CLOCK_START_MS',
  realAnchorMs: 'COLDTRACE_CLOCK_REAL_ANCHOR_MS',
  scale: 'COLDTRACE_CLOCK_SCALE',
  tickMs: 'COLDTRACE_CLOCK_TICK_MS',
} as const;

/** The environment entries that make `clockFromEnv` in a child give the same clock. */
export function scenarioClockEnv(p: ScenarioClockParams): Record<string, string> {
  return {
    [SCENARIO_CLOCK_ENV.startMs]: String(p.startMs),
    [SCENARIO_CLOCK_ENV.realAnchorMs]: String(p.realAnchorMs),
    [SCENARIO_CLOCK_ENV.scale]: String(p.scale),
    [SCENARIO_CLOCK_ENV.tickMs]: String(p.tickMs),
  };
}

/**
 * The scenario clock described by `env`, or `systemClock` when none of its variables is set
 * (production). Some but not all set, or a non-numeric value, is an error: a gateway must not run on
 * a half-configured clock.
 */
export function clockFromEnv(env: Readonly<Record<string, string | undefined>>): Clock {
  const raw = Object.entries(SCENARIO_CLOCK_ENV).map(([k, name]) => [k, name, env[name]] as const);
  const set = raw.filter(([, , v]) => v !== undefined && v !== '');
  if (set.length === 0) return systemClock;
  const missing = raw.filter(([, , v]) => v === undefined || v === '').map(([, n]) => n);
  if (missing.length > 0) throw new RangeError(`scenario clock: ${missing.join(', ')} not set`);
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RangeError(`scenario clock: ${name}=${v} is not a number`);
    return n;
  };
  const p = Object.fromEntries(
    raw.map(([k, name, v]) => [k, num(name, v)]),
  ) as unknown as ScenarioClockParams;
  return scenarioClock(p);
}
