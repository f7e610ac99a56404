import { errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { DirtyWork } from './dirty-work.js';
import type { LocationEvaluator } from './location-evaluator.js';
import type { LongWindows } from './long-windows.js';

/** What the urgent lane needs of its engine. */
export interface UrgentLaneContext {
  /** Whether urgent locations get their own derive transactions (PostgreSQL); off: they preempt between. */
  enabled: boolean;
  dirty: DirtyWork;
  longWindows: LongWindows;
  evaluator: LocationEvaluator;
  log: Logger;
  /** Schedules the background lane (after the debounce): a window put back, a long window started. */
  later(): void;
  closed(): boolean;
}

/**
 * Scheduling of urgent locations (docs/performance.md "Derive locks per location"): on PostgreSQL an urgent
 * location is evaluated in a derive transaction of its own, on a second pooled connection, while the
 * background transaction under way in this process goes on. The database's per-location locks
 * (`store/derive-lock.ts`) serialise two transactions of one location and exclusive derive work; in this
 * process each lane holds the locations of its transaction in flight and the other leaves them dirty, so
 * no window (and no evaluation mark) is claimed twice. Evaluation itself is the shared `LocationEvaluator`.
 * One urgent transaction at a time: the lane costs at most one connection more.
 */
export class UrgentLane {
  /** Locations of the background lane's transaction in flight. */
  private readonly background = new Set<string>();
  /** The location of the urgent lane's transaction in flight. */
  private current: string | undefined;
  private running: Promise<void> | undefined;
  /** The urgent lane's transaction in flight. */
  private inFlight: Promise<unknown> | undefined;
  /** Urgent transactions committed (for tests and the benchmark). */
  readonly stats = { evaluations: 0 };

  constructor(private readonly ctx: UrgentLaneContext) {}

  get enabled(): boolean {
    return this.ctx.enabled;
  }

  /** Whether the background lane must leave this location dirty: the urgent lane's transaction has it. */
  holds(locationId: string): boolean {
    return this.current === locationId;
  }

  /** Runs the background lane's transaction over these locations, holding them from the urgent lane. */
  async inBackground<T>(locationIds: readonly string[], fn: () => Promise<T>): Promise<T> {
    for (const id of locationIds) this.background.add(id);
    try {
      return await fn();
    } finally {
      for (const id of locationIds) this.background.delete(id);
    }
  }

  /**
   * Whether an urgent location waits for the background transaction to commit (it then ends its group
   * early): any, without the lane; with it, one the background transaction holds.
   */
  waitsForBackground(): boolean {
    const { urgent } = this.ctx.dirty;
    if (!this.ctx.enabled) return urgent.size > 0;
    for (const id of urgent) if (this.background.has(id)) return true;
    return false;
  }

  /** Starts evaluating urgent locations, unless the lane is off or already running. */
  start(): void {
    if (!this.ctx.enabled || this.running || this.ctx.closed()) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the lane's transaction in flight, if any, and those it starts after, are over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Resolves when the urgent lane's transaction in flight, if any, is over. */
  async released(): Promise<void> {
    await this.inFlight?.catch(() => {});
  }

  /** The next urgent location neither lane holds (a long window's is the chunk loop's, which joins it). */
  private next(): string | undefined {
    for (const id of this.ctx.dirty.urgent)
      if (!this.background.has(id) && !this.ctx.longWindows.has(id)) return id;
    return undefined;
  }

  private async drain(): Promise<void> {
    for (let id = this.next(); id !== undefined && !this.ctx.closed(); id = this.next()) {
      const w = this.ctx.dirty.take(id);
      if (!w) continue;
      this.current = id;
      const run = this.ctx.evaluator.group([[id, w]], () => false);
      this.inFlight = run;
      try {
        await run;
        this.stats.evaluations++;
        // Its marks made the window long: the background lane's chunk loop evaluates it from here.
        if (this.ctx.longWindows.has(id)) this.ctx.later();
      } catch (err) {
        // Back to the background lane, after the debounce (not at once: a failing store is not hammered).
        this.ctx.dirty.addReadings(new Map([[id, w]]), () => true);
        this.ctx.later();
        this.ctx.log.error({ err: errorMessage(err), locationId: id }, 'urgent evaluation failed');
        return;
      } finally {
        this.current = undefined;
        this.inFlight = undefined;
      }
    }
  }
}
