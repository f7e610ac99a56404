import { ColdtraceError } from '@coldtrace/shared';

/** The part of `manualClock` (shared/src/manual-clock.ts) the loop moves. */
export interface SteppedClock {
  now(): number;
  /** Due time of the earliest pending timer, or undefined. */
  nextDueAt(): number | undefined;
  /** Moves time forward to `ms`, firing (synchronously, in due order) every timer due by then. */
  set(ms: number): void;
}

/** What the loop needs of the world besides its clock. */
export interface QuiescentWorld {
  /**
   * Why the world is not at rest right now (bytes in flight, a request awaiting its answer, the cloud
   * still ingesting…), or undefined when nothing is. Synchronous: it reads counters, it waits for nothing.
   */
  busy(): string | undefined;
  /** One event-loop turn: lets I/O callbacks, promise continuations and immediates run. */
  turn(): Promise<void>;
}

export interface QuiesceOptions {
  /** Consecutive turns `busy()` must answer undefined (promise chains may hop a few turns between I/O). */
  idleTurns?: number;
  /** Real ms one wait may take before the world counts as stuck (a bug, not a slow machine). */
  stuckAfterRealMs?: number;
  realNow?: () => number;
  /** Stops waiting (the caller then sees it aborted). */
  signal?: AbortSignal | undefined;
}

const DEFAULT_IDLE_TURNS = 3;
const DEFAULT_STUCK_AFTER_REAL_MS = 60_000;

/**
 * Waits until the world is at rest: `busy()` answered undefined for `idleTurns` consecutive turns, or
 * `signal` aborted. Throws `scenario_not_quiescent`, naming what stayed busy, if that takes longer than
 * `stuckAfterRealMs` of real time. Returns how many turns it took.
 */
export async function quiesce(world: QuiescentWorld, o: QuiesceOptions = {}): Promise<number> {
  const idleTurns = o.idleTurns ?? DEFAULT_IDLE_TURNS;
  const limit = o.stuckAfterRealMs ?? DEFAULT_STUCK_AFTER_REAL_MS;
  const realNow = o.realNow ?? Date.now;
  const since = realNow();
  let idle = 0;
  let turns = 0;
  while (idle < idleTurns) {
    if (o.signal?.aborted) return turns;
    await world.turn();
    turns++;
    const why = world.busy();
    if (why === undefined) {
      idle++;
      continue;
    }
    idle = 0;
    if (realNow() - since > limit)
      throw new ColdtraceError(
        'scenario_not_quiescent',
        `the scenario world did not come to rest within ${limit / 1000} s of real time: ${why}`,
      );
  }
  return turns;
}

/** Something the scenario does at a scenario instant (a move, an uplink cut…). */
export interface TimedAction {
  /** Epoch ms. */
  atMs: number;
  run(): void;
}

export interface DiscreteEventOptions extends QuiesceOptions {
  clock: SteppedClock;
  world: QuiescentWorld;
  /** In time order. Each runs once the clock stands at its time and every timer due by then has fired. */
  actions?: readonly TimedAction[];
  /** Epoch ms the loop stops at: no timer due later fires, the clock is left standing here. */
  endMs: number;
  /** Checked whenever the world is at rest: true stops the loop there (the clock stays where it is). */
  until?: () => boolean;
}

export interface DiscreteEventResult {
  /** Instants the clock was moved to. */
  steps: number;
  /** Actions carried out. */
  actions: number;
  /** Why the loop stopped. */
  stopped: 'end' | 'until' | 'aborted';
}

/**
 * The discrete-event clock's loop: time moves only when the whole world is at rest, and then straight
 * to the next thing due (the earliest timer, or the next action), never past `endMs`. At one instant,
 * the timers due fire first (in due order, ties in the order they were set), then the world comes to
 * rest again, then the actions of that instant run. So nothing in flight ever sees time move, and a
 * result depends on what happens, not on how long the machine takes to compute it.
 */
export async function runDiscreteEvents(o: DiscreteEventOptions): Promise<DiscreteEventResult> {
  const { clock, world } = o;
  const actions = o.actions ?? [];
  let next = 0;
  let steps = 0;
  for (;;) {
    await quiesce(world, o);
    if (o.signal?.aborted) return { steps, actions: next, stopped: 'aborted' };
    if (o.until) {
      if (o.until()) return { steps, actions: next, stopped: 'until' };
      // `until` may have set work going (e.g. a flush): time moves only once that is at rest too.
      await quiesce(world, o);
    }
    const due = clock.nextDueAt();
    const action = actions[next];
    if (due !== undefined && due <= o.endMs && (action === undefined || due <= action.atMs)) {
      clock.set(Math.max(due, clock.now()));
      steps++;
      continue;
    }
    if (action !== undefined && action.atMs <= o.endMs) {
      if (action.atMs > clock.now()) {
        clock.set(action.atMs);
        steps++;
      }
      next++;
      action.run();
      continue;
    }
    if (o.endMs > clock.now()) clock.set(o.endMs);
    return { steps, actions: next, stopped: 'end' };
  }
}

/** One event-loop turn: `setImmediate` runs after the I/O callbacks of the current iteration. */
export function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
