import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import { excursionContent, excursionId } from '../domain/excursion-content.js';
import type { ChangeLog } from '../domain/exposure.js';
import { ALL_TIME, type TimeWindow } from '../domain/location-evaluation.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { ExcursionRule } from '../domain/rules/excursion-rule.js';
import { QuantityHoldRule } from '../domain/rules/quantity-hold-rule.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { DomainDatabase } from '../store/schema.js';
import { deriveTransaction } from './derive-transaction.js';
import { DirtyWork, type ReadingWindow } from './dirty-work.js';
import type { DomainEngineOptions } from './domain-engine-options.js';
import { LocationEvaluator } from './location-evaluator.js';
import { LocationFindings } from './location-findings.js';
import {
  DEFAULT_CHUNK_READINGS,
  DEFAULT_QUIET_PROOFS_PER_CHUNK,
  LONG_WINDOW_LANES,
  LongWindows,
  QUIET_MIN_READINGS,
  yieldToEventLoop,
} from './long-windows.js';
import { type MarkRecoveryOptions, recoverDeadNodeMarks, recoverPendingMarks } from './mark-recovery.js';
import { RecoveryTracker } from './recovery-progress.js';
import { SkippedWindows } from './skipped-windows.js';
import { productChangedIn, rebuildEpcsIn, unitChunks } from './subject-rebuilds.js';
import { UrgentLane } from './urgent-lane.js';

export { type DomainEngineOptions, excursionContent, excursionId, type ReadingWindow };

type Trx = Transaction<DomainDatabase>;

/** Locations evaluated in one derive transaction by a background flush (one commit, one fsync). */
const LOCATIONS_PER_TRANSACTION = 4;

/**
 * The domain engine (docs/architecture.md "Semantics"): custody from movements, excursions from readings,
 * exposures and automatic locks, all derived state a function of the accepted events. Changes are
 * recomputed over the affected window (per location for readings, per EPC for movements), serialised
 * inside this process, and each recomputation is one transaction that also appends its audit entries and
 * integration events. On PostgreSQL advisory locks serialise recomputation across ingestor processes: per
 * location for readings, all of it for the rest (`store/derive-lock.ts`).
 *
 * What is dirty is also durable: ingest commits an evaluation mark with the events (0006), which the
 * derive transaction covering it deletes; `recoverMarks` reconciles what a dead process left behind. The
 * in-memory sets below only schedule and rank the work.
 */
export class DomainEngine {
  readonly db: Kysely<DomainDatabase>;
  private readonly dirty = new DirtyWork();
  /** What the excursion rule found: tails for the in-range shortcut, limits to rank, the last outcome. */
  private readonly findings = new LocationFindings();
  /** Windows proved to change nothing, skipped without evaluation (see `skipped-windows.ts`). */
  private readonly skippedWindows: SkippedWindows;
  /** Windows skipped without evaluation (for tests and the benchmark). */
  readonly skipped: { windows: number };
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private urgentTimer: ReturnType<Clock['setTimeout']> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Long windows evaluated chunk by chunk (see `long-windows.ts`). */
  private readonly longWindows = new LongWindows();
  /** Long windows evaluated in chunks, and their chunks (for tests and the benchmark). */
  readonly chunked = this.longWindows.stats;
  /** Spans of long windows skipped as proved quiet, and their readings (for tests and the benchmark). */
  readonly quiet = this.longWindows.quiet;
  /** The loop evaluating the long windows' chunks, while one runs. */
  private driving: Promise<void> | undefined;
  /** Evaluates locations' windows and long windows' chunks (what this class schedules). */
  private readonly evaluator: LocationEvaluator;
  /** Urgent locations in transactions of their own on PostgreSQL (see `UrgentLane`). */
  readonly urgentLane: UrgentLane;
  /** What a start found to recompute and how far it got (`/readyz`). */
  readonly recovery = new RecoveryTracker();

  readonly store: CloudStore;
  private readonly rules: readonly LockRule[];

  constructor(private readonly opts: DomainEngineOptions) {
    this.store = opts.store;
    // Excursions first: the other rules read the custody and excursions it leaves (quantity holds follow
    // the excursions a location's evaluation settled).
    this.rules = [
      new ExcursionRule((id, out) => this.findings.report(id, out)),
      new QuantityHoldRule(),
      ...(opts.rules ?? []),
    ];
    this.db = opts.store.db;
    this.skippedWindows = new SkippedWindows({
      enabled: opts.store.opened.dialect === 'sqlite' && opts.skipInRange !== false,
      store: opts.store,
      findings: this.findings,
      recovery: this.recovery,
      log: opts.log,
      watched: (id) => this.watched(id),
    });
    this.skipped = this.skippedWindows.stats;
    this.evaluator = new LocationEvaluator({
      db: this.db,
      rules: this.rules,
      findings: this.findings,
      longWindows: this.longWindows,
      recovery: this.recovery,
      deriveIn: (locations, fn) => this.derive(fn, undefined, locations),
      watched: (id) => this.watched(id),
      chunkReadings: Math.max(0, Math.floor(opts.chunkReadings ?? DEFAULT_CHUNK_READINGS)),
      skipQuiet: opts.skipQuiet !== false,
      quietProofsPerChunk: Math.max(
        1,
        Math.floor(opts.quietProofsPerChunk ?? DEFAULT_QUIET_PROOFS_PER_CHUNK),
      ),
      quietMinReadings: Math.max(0, opts.quietMinReadings ?? QUIET_MIN_READINGS),
      chunkLanes:
        opts.store.opened.dialect === 'postgres' ? Math.floor(opts.longWindowLanes ?? LONG_WINDOW_LANES) : 1,
    });
    this.urgentLane = new UrgentLane({
      enabled: opts.store.opened.dialect === 'postgres' && opts.urgentLane !== false,
      dirty: this.dirty,
      longWindows: this.longWindows,
      evaluator: this.evaluator,
      log: opts.log,
      later: () => this.schedule(),
      closed: () => this.closed,
    });
  }

  /**
   * Readings were committed at these locations over these event-time windows. Windows of one location
   * coalesce until its next evaluation. A window whose readings leave the location's limits (or of a
   * location not evaluated yet) may decide an excursion and so a lock: it is evaluated without the
   * debounce delay and before the others (lock latency under background load).
   */
  markReadings(windows: ReadonlyMap<string, ReadingWindow> | Iterable<string>): void {
    this.schedule(this.dirty.addReadings(windows, (id, w) => this.findings.mayDecide(id, w)));
  }

  /** Whether a lock rule reads this location's in-range readings (its windows are then never skipped). */
  private watched(locationId: string): boolean {
    return this.rules.some((r) => r.watches(locationId));
  }

  /**
   * Marks the whole history of every location a lock rule watches: at start, as a rule's configuration may
   * have changed while the cloud was down. Returns how many.
   */
  markRuleLocations(): number {
    const ids = [...new Set(this.rules.flatMap((r) => r.locations()))];
    this.recovery.begin({ locations: ids });
    if (ids.length > 0) this.markReadings(ids);
    return ids.length;
  }

  /**
   * A product's specification changed (its change committed a durable mark): every unit of its lots is
   * re-evaluated by the lock rules (cumulative rules).
   */
  markProduct(gtin: string): void {
    this.dirty.products.add(gtin);
    this.schedule();
  }

  /** Movements of these EPCs were committed. */
  markEpcs(epcs: Iterable<string>): void {
    for (const e of epcs) this.dirty.epcs.add(e);
    this.schedule();
  }

  private schedule(urgent = false): void {
    if (this.closed) return;
    const run = () =>
      this.flush().catch((err) =>
        this.opts.log.error({ err: errorMessage(err) }, 'domain recomputation failed'),
      );
    if (urgent && !this.urgentTimer) {
      this.urgentTimer = this.opts.clock.setTimeout(() => {
        this.urgentTimer = undefined;
        this.urgentLane.start();
        run();
      }, 0);
    }
    if (this.timer) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      run();
    }, this.opts.debounceMs ?? 20);
  }

  /** Runs `fn` after every recomputation queued before it (one at a time in this process). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Recomputes everything marked dirty; resolves when the derived state reflects every committed event. */
  flush(): Promise<void> {
    const work = this.flushNow();
    return this.opts.activity ? this.opts.activity.track('evaluation', work) : work;
  }

  private async flushNow(): Promise<void> {
    await this.exclusive(async () => {
      await this.flushRounds();
      if (!this.urgentLane.enabled) return;
      // A flush resolves once what the urgent lane took is committed too (and what it put back evaluated).
      await this.urgentLane.idle();
      if (this.dirty.any()) await this.flushRounds();
    });
    if (this.longWindows.size > 0) await this.driveLongWindows();
  }

  /** Every dirty product, EPC and location, in rounds; long windows are only started here. */
  private async flushRounds(): Promise<void> {
    const dirty = this.dirty;
    for (let round = 0; round < 100 && dirty.any(); round++) {
      // Products whose rules changed: their lock rules told, one commit each.
      await this.reconcileDirty(dirty.products, async (gtins) => {
        for (const gtin of gtins.sort()) {
          await this.derive((trx, log, now) => productChangedIn(trx, log, now, this.rules, gtin));
          this.recovery.done('products', [gtin]);
        }
      });
      await this.reconcileDirty(dirty.epcs, (epcs) => this.reconcileEpcsNow(epcs));
      // Urgent locations one per transaction, as soon as they are marked (checked again between
      // transactions); the rest in groups, one commit each. Windows marked meanwhile coalesce.
      // Bounded per round so movements (EPCs) marked meanwhile are not starved by continuous ingest.
      let budget = dirty.locations.size;
      while (budget > 0 && dirty.locations.size > 0) {
        const picked: Array<[string, ReadingWindow]> = [];
        const lane = this.urgentLane;
        const take = (id: string) => {
          const w = dirty.take(id);
          if (!w) return;
          // A location under a chunked evaluation: the window joins it (its chunks cover it).
          if (this.longWindows.has(id)) {
            this.longWindows.join(id, w, w.marks);
            return;
          }
          if (this.skippedWindows.trySkip(id, w)) return;
          picked.push([id, w]);
        };
        // The location of the urgent lane's transaction in flight stays dirty until it commits.
        const urgent = [...dirty.urgent].find((id) => !lane.holds(id));
        let taken = 0;
        if (urgent !== undefined) take(urgent);
        else {
          for (const id of dirty.locations.keys()) {
            if (picked.length >= LOCATIONS_PER_TRANSACTION) break;
            if (lane.holds(id)) continue;
            taken++;
            take(id);
          }
        }
        if (picked.length === 0) {
          if (urgent === undefined && taken === 0) await lane.released();
          continue;
        }
        const ids = picked.map(([id]) => id);
        let evaluated: number;
        try {
          // A location marked urgent meanwhile waits for one background location, not a whole group:
          // the rest go back to the dirty set (their marks unclaimed) and this transaction commits.
          evaluated = await lane.inBackground(ids, () =>
            this.evaluator.group(picked, () => lane.waitsForBackground()),
          );
        } catch (err) {
          this.markReadings(new Map(picked));
          throw err;
        }
        budget -= evaluated;
        if (evaluated < picked.length) this.markReadings(new Map(picked.slice(evaluated)));
      }
    }
    this.skippedWindows.clear();
    if (dirty.any()) this.schedule(dirty.urgent.size > 0);
  }

  /** Reconciles a dirty set's subjects; on failure puts them back, evaluated again after the debounce. */
  private async reconcileDirty(set: Set<string>, reconcile: (ids: string[]) => Promise<void>): Promise<void> {
    const ids = [...set];
    set.clear();
    if (ids.length === 0) return;
    try {
      await reconcile(ids);
    } catch (err) {
      for (const id of ids) set.add(id);
      this.schedule();
      throw err;
    }
  }

  /**
   * Evaluates the long windows chunk by chunk (docs/architecture.md "Recovery"), letting the event loop run
   * between two chunks and evaluating what was marked meanwhile between them (new readings are not held
   * up behind a whole history). One loop at a time: every caller waits for the same one. Stops when the
   * engine closes: the marks stay, and the next start evaluates them again.
   */
  private driveLongWindows(): Promise<void> {
    this.driving ??= (async () => {
      try {
        while (this.longWindows.size > 0 && !this.closed) {
          await yieldToEventLoop();
          if (this.closed) break;
          await this.exclusive(() => this.evaluator.chunks());
          if (this.dirty.any()) await this.exclusive(() => this.flushRounds());
        }
      } catch (err) {
        this.schedule();
        throw err;
      } finally {
        this.driving = undefined;
      }
    })();
    return this.driving;
  }

  /**
   * Re-evaluates a location over a window (the whole history by default), e.g. after its limits changed; a
   * long window chunk by chunk. Returns the location's excursions (the final window's, when in one go).
   */
  async reconcileLocation(locationId: string, window: TimeWindow = ALL_TIME): Promise<number> {
    const n = await this.exclusive(() =>
      this.urgentLane.inBackground([locationId], () => this.evaluator.one(locationId, window)),
    );
    if (!this.longWindows.has(locationId)) return n;
    await this.driveLongWindows();
    const row = await this.db
      .selectFrom('excursions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('location_id', '=', locationId)
      .where('state', '!=', 'withdrawn')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  reconcileEpcs(epcs: readonly string[]): Promise<void> {
    return this.exclusive(() => this.reconcileEpcsNow(epcs));
  }

  /** One transaction for derived state (`deriveTransaction`). */
  derive<T>(
    fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>,
    at?: number,
    locations?: readonly string[],
  ): Promise<T> {
    const { store, clock, onEvents } = this.opts;
    const ctx = { db: this.db, dialect: store.opened.dialect, clock, rules: this.rules, onEvents };
    return deriveTransaction(ctx, fn, at, locations);
  }

  // ---- custody ---------------------------------------------------------------------------------

  /** Rebuilds these EPCs' custody, claiming (and clearing) their evaluation marks, per `unitChunks`. */
  private async reconcileEpcsNow(epcs: readonly string[]): Promise<void> {
    const { dialect } = this.store.opened;
    for (const chunk of unitChunks(epcs, dialect, (epc) => this.recovery.recovers('units', epc))) {
      await this.derive((trx, log, now) => rebuildEpcsIn(trx, log, now, this.rules, chunk));
      this.recovery.done('units', chunk);
    }
  }

  // ---- evaluation marks -------------------------------------------------------------------------

  /**
   * Marks dirty whatever evaluation marks remain in the store (0006): events committed (and acknowledged)
   * whose evaluation a process did not finish, e.g. because it died. Called at start before serving and
   * then periodically for marks older than `createdBefore` without another owner (0029); evaluating a
   * window twice is harmless (derived state is a function of the stored events). At start (`atStart`) the
   * marks of dead nodes are taken over first (`taken`: how many) and are part of the start's recovery.
   */
  recoverMarks(opts: MarkRecoveryOptions = {}): Promise<{ locations: number; epcs: number; taken: number }> {
    const { dialect, nodeId } = this.store.opened;
    const work = recoverPendingMarks(this.db, { dialect, id: nodeId }, this, this.opts.log, opts);
    return this.opts.activity ? this.opts.activity.track('evaluation mark sweep', work) : work;
  }

  /**
   * Takes over and marks dirty the evaluation marks of cloud nodes that stopped heartbeating or are gone
   * (0029, domain/node-liveness.ts), as this store's node; never this node's own.
   */
  recoverDeadNodeMarks(): Promise<{ nodes: number; marks: number }> {
    const { dialect, nodeId } = this.store.opened;
    const work = recoverDeadNodeMarks(this.db, { dialect, id: nodeId }, this, this.opts.log);
    return this.opts.activity ? this.opts.activity.track('evaluation mark sweep', work) : work;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    this.opts.clock.clearTimeout(this.urgentTimer);
    this.timer = undefined;
    this.urgentTimer = undefined;
    // A long window's evaluation stops after its current chunk, the urgent lane after its transaction.
    await this.driving?.catch(() => {});
    await this.urgentLane.idle();
    await this.chain;
    await this.skippedWindows.idle();
  }
}
