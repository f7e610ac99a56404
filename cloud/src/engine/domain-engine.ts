import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import { claimedChange } from '../domain/derive-repo.js';
import { excursionContent, excursionId } from '../domain/excursion-content.js';
import { ChangeLog } from '../domain/exposure.js';
import { ALL_TIME, type TimeWindow } from '../domain/location-evaluation.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { mergeSpans, type SensorSpan } from '../domain/reading-tails.js';
import { ExcursionRule } from '../domain/rules/excursion-rule.js';
import { QuantityHoldRule } from '../domain/rules/quantity-hold-rule.js';
import { appendAudit, lockAuditHead } from '../store/audit-append.js';
import type { CloudStore } from '../store/cloud-store.js';
import { lockDerivation } from '../store/derive-lock.js';
import { deriveRepo } from '../store/derive-repo.js';
import { lotsOfUnits } from '../store/lock-writes.js';
import { enqueueEvents } from '../store/outbox.js';
import type { DomainDatabase } from '../store/schema.js';
import { LocationFindings } from './location-findings.js';
import {
  type ChunkDone,
  chunkRepo,
  DEFAULT_CHUNK_READINGS,
  DEFAULT_QUIET_PROOFS_PER_CHUNK,
  evaluateSkippingQuiet,
  isLongWindow,
  LongWindows,
  nextChunk,
  QUIET_MIN_READINGS,
  yieldToEventLoop,
} from './long-windows.js';
import { type MarkRecoveryOptions, recoverDeadNodeMarks, recoverPendingMarks } from './mark-recovery.js';
import { RecoveryTracker } from './recovery-progress.js';
import { productChangedIn, rebuildEpcsIn } from './subject-rebuilds.js';

export { excursionContent, excursionId };

export interface DomainEngineOptions {
  store: CloudStore;
  clock: Clock;
  log: Logger;
  /** Coalescing delay between a change and its recomputation. */
  debounceMs?: number | undefined;
  /**
   * Skip evaluating windows whose readings provably change nothing (see ReadingTails). Default: on for
   * SQLite (single writer), always off for PostgreSQL.
   */
  skipInRange?: boolean | undefined;
  /** Called after a transaction that enqueued integration events committed. */
  onEvents?: (() => void) | undefined;
  /**
   * Lock rules beyond excursions (docs/architecture.md "Lock rules"), told of every location recomputed for
   * readings and every unit whose custody was rebuilt, in the same derive transaction.
   */
  rules?: readonly LockRule[] | undefined;
  /** Where recomputation reports its work in progress (the cloud's `activity`). */
  activity?: Activity | undefined;
  /**
   * Readings per chunk of a long window (a whole history, a limit change): each chunk is one derive
   * transaction and the event loop runs between two (docs/architecture.md "Recovery"). Default 10,000; 0
   * evaluates every window in one transaction.
   */
  chunkReadings?: number | undefined;
  /**
   * Skip the spans of a long window the rollups prove quiet, unread (docs/architecture.md "Recovery").
   * Default on; off evaluates every reading (benchmarks compare both).
   */
  skipQuiet?: boolean | undefined;
  /**
   * Quiet-span proofs per chunk at most (default `DEFAULT_QUIET_PROOFS_PER_CHUNK`): bounds the work of a
   * chunk that skips spans, as `chunkReadings` bounds the readings it evaluates.
   */
  quietProofsPerChunk?: number | undefined;
  /** The fewest readings a quiet span skipped holds (default `QUIET_MIN_READINGS`; tests of the proof: 0). */
  quietMinReadings?: number | undefined;
}

type Trx = Transaction<DomainDatabase>;

/**
 * A location's dirty window as ingest reports it: event time, and optionally the temperature span of the
 * readings (lets the engine tell a possibly lock-deciding batch, one with out-of-range readings, apart).
 */
export interface ReadingWindow extends TimeWindow {
  minC?: number | undefined;
  maxC?: number | undefined;
  /** Per sensor, its readings in the window as ingest saw them (lets an in-range window be skipped). */
  sensors?: ReadonlyMap<string, SensorSpan> | undefined;
  /** Ids of the evaluation marks committed with these readings (deleted when the window is skipped). */
  marks?: readonly number[] | undefined;
}

/** A location's derive transaction that must run again under the exclusive derive lock (see `derive`). */
class SpannedLocations extends Error {}

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
  private readonly dirtyLocations = new Map<string, ReadingWindow>();
  /** What the excursion rule found: tails for the in-range shortcut, limits to rank, the last outcome. */
  private readonly findings = new LocationFindings();
  /** SQLite only: this process is then the store's single writer of readings (see ReadingTails). */
  private readonly skipInRange: boolean;
  /** Windows skipped without evaluation (for tests and the benchmark). */
  readonly skipped = { windows: 0 };
  /** Dirty locations whose new readings may decide an excursion (and so a lock): evaluated first. */
  private readonly urgentLocations = new Set<string>();
  private readonly dirtyEpcs = new Set<string>();
  /** Products whose rules changed: their units are re-evaluated by the lock rules. */
  private readonly dirtyProducts = new Set<string>();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private urgentTimer: ReturnType<Clock['setTimeout']> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** Marks of windows skipped (proved to change nothing), to delete; and that deletion in progress. */
  private readonly skippedMarks: number[] = [];
  private clearing: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Long windows evaluated chunk by chunk (see `long-windows.ts`). */
  private readonly longWindows = new LongWindows();
  /** Long windows evaluated in chunks, and their chunks (for tests and the benchmark). */
  readonly chunked = this.longWindows.stats;
  /** Spans of long windows skipped as proved quiet, and their readings (for tests and the benchmark). */
  readonly quiet = this.longWindows.quiet;
  /** The loop evaluating the long windows' chunks, while one runs. */
  private driving: Promise<void> | undefined;
  private readonly chunkReadings: number;
  private readonly skipQuiet: boolean;
  private readonly quietProofsPerChunk: number;
  private readonly quietMinReadings: number;
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
    this.skipInRange = opts.store.opened.dialect === 'sqlite' && opts.skipInRange !== false;
    this.chunkReadings = Math.max(0, Math.floor(opts.chunkReadings ?? DEFAULT_CHUNK_READINGS));
    this.skipQuiet = opts.skipQuiet !== false;
    this.quietProofsPerChunk = Math.max(
      1,
      Math.floor(opts.quietProofsPerChunk ?? DEFAULT_QUIET_PROOFS_PER_CHUNK),
    );
    this.quietMinReadings = Math.max(0, opts.quietMinReadings ?? QUIET_MIN_READINGS);
  }

  /**
   * Readings were committed at these locations over these event-time windows. Windows of one location
   * coalesce until its next evaluation. A window whose readings leave the location's limits (or of a
   * location not evaluated yet) may decide an excursion and so a lock: it is evaluated without the
   * debounce delay and before the others (lock latency under background load).
   */
  markReadings(windows: ReadonlyMap<string, ReadingWindow> | Iterable<string>): void {
    const entries: Array<[string, ReadingWindow]> =
      windows instanceof Map
        ? [...windows.entries()]
        : [...(windows as Iterable<string>)].map((id) => [id, ALL_TIME]);
    let urgent = false;
    for (const [id, w] of entries) {
      const cur = this.dirtyLocations.get(id);
      this.dirtyLocations.set(
        id,
        cur
          ? {
              fromTs: Math.min(cur.fromTs, w.fromTs),
              toTs: Math.max(cur.toTs, w.toTs),
              sensors: mergeSpans(cur.sensors, w.sensors),
              marks: [...(cur.marks ?? []), ...(w.marks ?? [])],
            }
          : { fromTs: w.fromTs, toTs: w.toTs, sensors: w.sensors, marks: w.marks },
      );
      if (this.findings.mayDecide(id, w)) {
        this.urgentLocations.add(id);
        urgent = true;
      }
    }
    this.schedule(urgent);
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
    this.dirtyProducts.add(gtin);
    this.schedule();
  }

  /** Movements of these EPCs were committed. */
  markEpcs(epcs: Iterable<string>): void {
    for (const e of epcs) this.dirtyEpcs.add(e);
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
    await this.exclusive(() => this.flushRounds());
    if (this.longWindows.size > 0) await this.driveLongWindows();
  }

  /** Every dirty product, EPC and location, in rounds; long windows are only started here. */
  private async flushRounds(): Promise<void> {
    for (
      let round = 0;
      round < 100 && (this.dirtyEpcs.size || this.dirtyLocations.size || this.dirtyProducts.size);
      round++
    ) {
      const products = [...this.dirtyProducts];
      this.dirtyProducts.clear();
      if (products.length) {
        try {
          await this.reconcileProductsNow(products);
        } catch (err) {
          // Put back and run again after the debounce, as a location's window is (markReadings).
          for (const p of products) this.dirtyProducts.add(p);
          this.schedule();
          throw err;
        }
      }
      const epcs = [...this.dirtyEpcs];
      this.dirtyEpcs.clear();
      if (epcs.length) {
        try {
          await this.reconcileEpcsNow(epcs);
        } catch (err) {
          for (const e of epcs) this.dirtyEpcs.add(e);
          this.schedule();
          throw err;
        }
      }
      // Urgent locations one per transaction, as soon as they are marked (checked again between
      // transactions); the rest in groups, one commit each. Windows marked meanwhile coalesce.
      // Bounded per round so movements (EPCs) marked meanwhile are not starved by continuous ingest.
      let budget = this.dirtyLocations.size;
      while (budget > 0 && this.dirtyLocations.size > 0) {
        const picked: Array<[string, ReadingWindow]> = [];
        const take = (id: string) => {
          const w = this.dirtyLocations.get(id);
          this.urgentLocations.delete(id);
          if (!w) return;
          this.dirtyLocations.delete(id);
          // A location under a chunked evaluation: the window joins it (its chunks cover it).
          if (this.longWindows.has(id)) {
            this.longWindows.join(id, w, w.marks);
            return;
          }
          if (this.skipInRange && !this.watched(id) && this.findings.tails.trySkip(id, w)) {
            this.skipped.windows++;
            if (w.marks) this.skippedMarks.push(...w.marks);
            this.recovery.done('locations', [id]);
            return;
          }
          picked.push([id, w]);
        };
        const urgent = this.urgentLocations.values().next();
        if (!urgent.done) take(urgent.value);
        else {
          for (const id of this.dirtyLocations.keys()) {
            if (picked.length >= LOCATIONS_PER_TRANSACTION) break;
            take(id);
          }
        }
        if (picked.length === 0) continue;
        let evaluated = picked;
        try {
          this.findings.reset();
          const ids = picked.map(([id]) => id);
          await this.deriveIn(ids, async (trx, log, now) => {
            for (const [k, [id, w]] of picked.entries()) {
              // A location marked urgent meanwhile waits for one background location, not a whole group:
              // the rest go back to the dirty set (their marks unclaimed) and this transaction commits.
              if (k > 0 && this.urgentLocations.size > 0) {
                evaluated = picked.slice(0, k);
                break;
              }
              await this.reconcileLocationIn(trx, log, now, id, w);
            }
          });
          this.findings.committed();
          budget -= evaluated.length;
          if (evaluated.length < picked.length) this.markReadings(new Map(picked.slice(evaluated.length)));
          this.recovery.done(
            'locations',
            evaluated.map(([id]) => id).filter((id) => !this.longWindows.has(id)),
          );
        } catch (err) {
          this.findings.reset();
          this.markReadings(new Map(picked));
          throw err;
        }
      }
    }
    this.clearSkipped();
    if (this.dirtyEpcs.size || this.dirtyLocations.size || this.dirtyProducts.size)
      this.schedule(this.urgentLocations.size > 0);
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
          await this.exclusive(() => this.longWindowChunk());
          if (this.dirtyEpcs.size || this.dirtyLocations.size || this.dirtyProducts.size)
            await this.exclusive(() => this.flushRounds());
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
   * The next chunk of the first long window, in one derive transaction. The excursion rule evaluates the
   * chunk; the last chunk also tells the other lock rules of the whole window (as one transaction would:
   * they read the excursions the chunks left) and deletes the marks the window covers, so they disappear
   * only when all of it is evaluated. The next chunk starts where this one's final window ended.
   */
  private async longWindowChunk(): Promise<void> {
    const run = this.longWindows.first();
    if (!run) return;
    const chunk = await nextChunk(this.db, run, this.chunkReadings);
    const [excursions, ...others] = this.rules;
    let done: ChunkDone = { to: chunk.window.toTs, last: chunk.last, skipped: [] };
    this.findings.reset();
    try {
      await this.deriveIn([run.locationId], async (trx, log, now) => {
        const repo = chunkRepo(deriveRepo(trx, log, now));
        const change = { kind: 'readings', locationId: run.locationId, cause: run.cause } as const;
        // Evaluates a window of the chunk; returns where its final window ends.
        const evaluate = async (window: TimeWindow) => {
          await excursions!.apply(repo, { ...change, window });
          return Math.max(window.toTs, this.findings.settled?.toTs ?? Number.NEGATIVE_INFINITY);
        };
        done =
          this.skipQuiet && !this.watched(run.locationId)
            ? await evaluateSkippingQuiet(
                trx,
                repo,
                run,
                chunk,
                evaluate,
                this.quietProofsPerChunk,
                this.quietMinReadings,
              )
            : { to: await evaluate(chunk.window), last: chunk.last, skipped: [] };
        if (!done.last) return;
        for (const rule of others)
          await rule.apply(repo, { ...change, window: { fromTs: run.fromTs, toTs: run.toTs } });
        await repo.deleteMarks([...run.marks]);
      });
      this.findings.committed();
    } catch (err) {
      this.findings.reset();
      throw err;
    }
    this.longWindows.skippedQuiet(done);
    this.longWindows.committed(run, done.last, done.to);
    this.recovery.chunk(run.locationId, chunk.readings, done.to);
    if (done.last) this.recovery.done('locations', [run.locationId]);
  }

  /**
   * Re-evaluates a location over a window (the whole history by default), e.g. after its limits changed; a
   * long window chunk by chunk. Returns the location's excursions (the final window's, when in one go).
   */
  async reconcileLocation(locationId: string, window: TimeWindow = ALL_TIME): Promise<number> {
    const n = await this.exclusive(() => this.reconcileLocationNow(locationId, window));
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

  /**
   * One transaction for derived state: serialised across processes on PostgreSQL, audit + outbox appended.
   * `at` is the time of the change, given to `fn` as `now` and stamped on its audit entries: by default
   * the data clock's now; a person's action (a signed disposition) passes its wall-clock time
   * (docs/architecture.md "Time"). The outbox rows are scheduled on the engine's clock, the one its
   * dispatcher polls with. `locations`: the transaction evaluates only these locations' readings, and
   * serialises only with transactions of the same locations and those that touch more (`lockDerivation`);
   * unless a lock rule's evaluation of a location reads others' state (`spansLocations`).
   */
  async derive<T>(
    fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>,
    at?: number,
    locations?: readonly string[],
  ): Promise<T> {
    const clockNow = this.opts.clock.now();
    const now = at ?? clockNow;
    const dialect = this.opts.store.opened.dialect;
    const spans = () => this.rules.some((r) => r.spansLocations?.());
    const scope = dialect === 'postgres' && locations && !spans() ? locations : undefined;
    let events = 0;
    const result = await this.db
      .transaction()
      .execute(async (trx) => {
        await lockDerivation(trx, dialect, scope);
        const log = new ChangeLog();
        const r = await fn(trx, log, now);
        // A rule that learnt here that it spans locations (a product's rules appeared) wrote under the
        // locations' locks only: roll back, and derive again under the exclusive lock.
        if (scope && spans()) throw new SpannedLocations();
        await appendAudit(trx, log.audit, now);
        const evs = await log.events(lotsOfUnits(trx));
        // Outbox ids in commit order across processes: inserted under the audit head's lock (appending took it).
        if (evs.length > 0 && log.audit.length === 0) await lockAuditHead(trx);
        events = await enqueueEvents(trx, evs, clockNow);
        return r;
      })
      .catch((err) => {
        if (err instanceof SpannedLocations) return this.derive(fn, at);
        throw err;
      });
    if (events > 0) this.opts.onEvents?.();
    return result;
  }

  /** A derive transaction that evaluates only these locations' readings (see `derive`). */
  private deriveIn<T>(
    locations: readonly string[],
    fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>,
  ): Promise<T> {
    return this.derive(fn, undefined, locations);
  }

  // ---- custody ---------------------------------------------------------------------------------

  /** Rebuilds the custody of these EPCs, claiming (and clearing) their evaluation marks, 200 per commit. */
  private async reconcileEpcsNow(epcs: readonly string[]): Promise<void> {
    const sorted = [...new Set(epcs)].sort();
    for (let i = 0; i < sorted.length; i += 200) {
      const chunk = sorted.slice(i, i + 200);
      await this.derive((trx, log, now) => rebuildEpcsIn(trx, log, now, this.rules, chunk));
      this.recovery.done('units', chunk);
    }
  }

  /** Tells the lock rules of products whose rules changed, claiming (and clearing) their marks, one commit each. */
  private async reconcileProductsNow(gtins: readonly string[]): Promise<void> {
    for (const gtin of [...new Set(gtins)].sort()) {
      await this.derive((trx, log, now) => productChangedIn(trx, log, now, this.rules, gtin));
      this.recovery.done('products', [gtin]);
    }
  }

  // ---- excursions -------------------------------------------------------------------------------

  private async reconcileLocationNow(locationId: string, window: TimeWindow): Promise<number> {
    this.findings.reset();
    try {
      const n = await this.deriveIn([locationId], (trx, log, now) =>
        this.reconcileLocationIn(trx, log, now, locationId, window),
      );
      this.findings.committed();
      if (!this.longWindows.has(locationId)) this.recovery.done('locations', [locationId]);
      return n;
    } catch (err) {
      this.findings.reset();
      throw err;
    }
  }

  /**
   * One location inside the caller's derive transaction: claims its evaluation marks first (0006: the window
   * grows to cover them, their causes name the derived changes, and they are deleted in this transaction,
   * so they disappear exactly when a derivation covering them commits), then tells every lock rule,
   * excursions first. Returns the location's excursions in the final window.
   */
  private async reconcileLocationIn(
    trx: Trx,
    log: ChangeLog,
    now: number,
    locationId: string,
    window: TimeWindow,
  ): Promise<number> {
    const repo = deriveRepo(trx, log, now);
    const claimed = await repo.claimMarks('location', [locationId]);
    const change = claimedChange(window, claimed);
    if (isLongWindow(change.window, this.chunkReadings) && (await repo.location(locationId))) {
      // Evaluated chunk by chunk from here (`driveLongWindows`); its marks stay until its last chunk.
      this.longWindows.join(locationId, change.window, claimed.ids, change.cause);
      return 0;
    }
    await repo.deleteMarks(claimed.ids);
    this.findings.found = 0;
    for (const rule of this.rules) await rule.apply(repo, { kind: 'readings', locationId, ...change });
    return this.findings.found;
  }

  // ---- evaluation marks -------------------------------------------------------------------------

  /**
   * Marks dirty whatever evaluation marks remain in the store (0006): events committed (and acknowledged)
   * whose evaluation a process did not finish, e.g. because it died. Called at start before serving and
   * then periodically for marks older than `createdBefore` without another owner (0029); evaluating a
   * window twice is harmless (derived state is a function of the stored events).
   */
  recoverMarks(opts: MarkRecoveryOptions = {}): Promise<{ locations: number; epcs: number }> {
    const work = recoverPendingMarks(this.db, this, this.opts.log, opts);
    return this.opts.activity ? this.opts.activity.track('evaluation mark sweep', work) : work;
  }

  /**
   * Takes over and marks dirty the evaluation marks of cloud nodes that stopped heartbeating or are gone
   * (0029, domain/node-liveness.ts), as this store's node; never this node's own.
   */
  recoverDeadNodeMarks(): Promise<{ nodes: number; marks: number }> {
    const { dialect, nodeId } = this.store.opened;
    const work = recoverDeadNodeMarks(this.db, dialect, nodeId, this, this.opts.log);
    return this.opts.activity ? this.opts.activity.track('evaluation mark sweep', work) : work;
  }

  /** Deletes the marks of skipped windows (SQLite: in the next ingest group commit), not awaited by flush. */
  private clearSkipped(): void {
    if (this.skippedMarks.length === 0) return;
    const ids = this.skippedMarks.splice(0);
    const store = this.opts.store;
    this.clearing = this.clearing
      .then(() => store.ingestBackend.clearMarks(ids))
      .catch((err) =>
        // Harmless: a mark left behind is re-evaluated at the next start (same result).
        this.opts.log.warn({ err: errorMessage(err) }, 'clearing evaluation marks of skipped windows failed'),
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    this.opts.clock.clearTimeout(this.urgentTimer);
    this.timer = undefined;
    this.urgentTimer = undefined;
    // A long window's evaluation stops after its current chunk.
    await this.driving?.catch(() => {});
    await this.chain;
    await this.clearing;
  }
}
