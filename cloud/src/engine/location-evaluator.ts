import type { Kysely, Transaction } from 'kysely';
import { claimedChange } from '../domain/derive-repo.js';
import type { ChangeLog } from '../domain/exposure.js';
import type { TimeWindow } from '../domain/location-evaluation.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { deriveRepo } from '../store/derive-repo.js';
import type { DomainDatabase } from '../store/schema.js';
import type { ReadingWindow } from './dirty-work.js';
import type { LocationFindings } from './location-findings.js';
import {
  type ChunkDone,
  chunkRepo,
  evaluateSkippingQuiet,
  isLongWindow,
  type LongWindow,
  type LongWindows,
  nextChunk,
} from './long-windows.js';
import type { RecoveryTracker } from './recovery-progress.js';

type Trx = Transaction<DomainDatabase>;

/** What the evaluation of locations needs of its engine. */
export interface LocationEvaluatorContext {
  db: Kysely<DomainDatabase>;
  /** Excursions first (the others read what it leaves). */
  rules: readonly LockRule[];
  findings: LocationFindings;
  longWindows: LongWindows;
  recovery: RecoveryTracker;
  /** A derive transaction that evaluates only these locations' readings (`DomainEngine.derive`). */
  deriveIn<T>(
    locations: readonly string[],
    fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>,
  ): Promise<T>;
  /** Whether a lock rule reads this location's in-range readings (no quiet span is skipped then). */
  watched(locationId: string): boolean;
  chunkReadings: number;
  skipQuiet: boolean;
  quietProofsPerChunk: number;
  quietMinReadings: number;
  /** Long windows whose next chunks `chunks` evaluates at once (at least 1). */
  chunkLanes: number;
}

/**
 * The evaluation of locations' readings in derive transactions (docs/architecture.md "Semantics"): a group
 * of locations' windows in one transaction, a location alone, a chunk of a long window. What runs when
 * is the engine's scheduling; this is the one implementation of what a location's evaluation does.
 */
export class LocationEvaluator {
  constructor(private readonly ctx: LocationEvaluatorContext) {}

  /**
   * The locations' windows in one derive transaction, in order. `stop`, asked before each location after
   * the first, ends the group there: the transaction commits what it evaluated (the rest's marks
   * unclaimed). Returns how many were evaluated.
   */
  async group(picked: ReadonlyArray<[string, ReadingWindow]>, stop: () => boolean): Promise<number> {
    const { findings, longWindows, recovery } = this.ctx;
    const ids = picked.map(([id]) => id);
    let evaluated = picked.length;
    try {
      findings.reset(ids);
      await this.ctx.deriveIn(ids, async (trx, log, now) => {
        evaluated = picked.length;
        for (const [k, [id, w]] of picked.entries()) {
          if (k > 0 && stop()) {
            evaluated = k;
            break;
          }
          await this.locationIn(trx, log, now, id, w);
        }
      });
      findings.committed(ids);
    } catch (err) {
      findings.reset(ids);
      throw err;
    }
    recovery.done(
      'locations',
      picked
        .slice(0, evaluated)
        .map(([id]) => id)
        .filter((id) => !longWindows.has(id)),
    );
    return evaluated;
  }

  /** A location's window alone in one derive transaction; returns its excursions in the final window. */
  async one(locationId: string, window: TimeWindow): Promise<number> {
    const { findings } = this.ctx;
    findings.reset([locationId]);
    try {
      const n = await this.ctx.deriveIn([locationId], (trx, log, now) =>
        this.locationIn(trx, log, now, locationId, window),
      );
      findings.committed([locationId]);
      if (!this.ctx.longWindows.has(locationId)) this.ctx.recovery.done('locations', [locationId]);
      return n;
    } catch (err) {
      findings.reset([locationId]);
      throw err;
    }
  }

  /**
   * The next chunk of each of the first `chunkLanes` long windows (each of another location), at once, each in
   * a derive transaction of its own: on PostgreSQL on pooled connections of their own, serialised only
   * with transactions of the same location and exclusive ones (`store/derive-lock.ts`). Resolves when
   * every one of them is over, so nothing of this process evaluates their locations meanwhile; rejects
   * with the first failure.
   */
  async chunks(): Promise<void> {
    const runs = this.ctx.longWindows.firsts(Math.max(1, this.ctx.chunkLanes));
    const settled = await Promise.allSettled(runs.map((run) => this.chunk(run)));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * The next chunk of a long window, in one derive transaction. The excursion rule evaluates the chunk; the
   * last chunk also tells the other lock rules of the whole window (as one transaction would: they read
   * the excursions the chunks left) and deletes the marks the window covers, so they disappear only when
   * all of it is evaluated. The next chunk starts where this one's final window ended.
   */
  private async chunk(run: LongWindow): Promise<void> {
    const { findings, longWindows, recovery } = this.ctx;
    const chunk = await nextChunk(this.ctx.db, run, this.ctx.chunkReadings);
    const [excursions, ...others] = this.ctx.rules;
    let done: ChunkDone = { to: chunk.window.toTs, last: chunk.last, skipped: [] };
    const ids = [run.locationId];
    findings.reset(ids);
    try {
      await this.ctx.deriveIn(ids, async (trx, log, now) => {
        const repo = chunkRepo(deriveRepo(trx, log, now));
        const change = { kind: 'readings', locationId: run.locationId, cause: run.cause } as const;
        // Evaluates a window of the chunk; returns where its final window ends.
        const evaluate = async (window: TimeWindow) => {
          await excursions!.apply(repo, { ...change, window });
          return Math.max(window.toTs, findings.settled(run.locationId)?.toTs ?? Number.NEGATIVE_INFINITY);
        };
        done =
          this.ctx.skipQuiet && !this.ctx.watched(run.locationId)
            ? await evaluateSkippingQuiet(
                trx,
                repo,
                run,
                chunk,
                evaluate,
                this.ctx.quietProofsPerChunk,
                this.ctx.quietMinReadings,
              )
            : { to: await evaluate(chunk.window), last: chunk.last, skipped: [] };
        if (!done.last) return;
        for (const rule of others)
          await rule.apply(repo, { ...change, window: { fromTs: run.fromTs, toTs: run.toTs } });
        await repo.deleteMarks([...run.marks]);
      });
      findings.committed(ids);
    } catch (err) {
      findings.reset(ids);
      throw err;
    }
    longWindows.skippedQuiet(done);
    longWindows.committed(run, done.last, done.to);
    recovery.chunk(run.locationId, chunk.readings, done.to);
    if (done.last) recovery.done('locations', [run.locationId]);
  }

  /**
   * One location inside the caller's derive transaction: claims its evaluation marks first (0006: the window
   * grows to cover them, their causes name the derived changes, and they are deleted in this transaction,
   * so they disappear exactly when a derivation covering them commits), then tells every lock rule,
   * excursions first. Returns the location's excursions in the final window.
   */
  private async locationIn(
    trx: Trx,
    log: ChangeLog,
    now: number,
    locationId: string,
    window: TimeWindow,
  ): Promise<number> {
    const repo = deriveRepo(trx, log, now);
    const claimed = await repo.claimMarks('location', [locationId]);
    const change = claimedChange(window, claimed);
    if (isLongWindow(change.window, this.ctx.chunkReadings) && (await repo.location(locationId))) {
      // Evaluated chunk by chunk from here (`DomainEngine.driveLongWindows`); its marks stay until its last chunk.
      this.ctx.longWindows.join(locationId, change.window, claimed.ids, change.cause);
      return 0;
    }
    await repo.deleteMarks(claimed.ids);
    this.ctx.findings.forget(locationId);
    for (const rule of this.ctx.rules) await rule.apply(repo, { kind: 'readings', locationId, ...change });
    return this.ctx.findings.found(locationId);
  }
}
