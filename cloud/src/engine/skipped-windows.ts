import { errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { CloudStore } from '../store/cloud-store.js';
import type { ReadingWindow } from './dirty-work.js';
import type { LocationFindings } from './location-findings.js';
import type { RecoveryTracker } from './recovery-progress.js';

/** What skipping windows needs of its engine. */
export interface SkippedWindowsContext {
  /** SQLite only: this process is then the store's single writer of readings (see ReadingTails). */
  enabled: boolean;
  store: CloudStore;
  findings: LocationFindings;
  recovery: RecoveryTracker;
  log: Logger;
  /** Whether a lock rule reads this location's in-range readings (its windows are then never skipped). */
  watched(locationId: string): boolean;
}

/**
 * Windows the domain engine skips without evaluation, as proved to change nothing (the excursion rule's
 * reading tails, `domain/reading-tails.ts`), and the deletion of their evaluation marks (0006).
 */
export class SkippedWindows {
  /** Windows skipped without evaluation (for tests and the benchmark). */
  readonly stats = { windows: 0 };
  /** Marks of windows skipped, to delete; and that deletion in progress. */
  private readonly marks: number[] = [];
  private clearing: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: SkippedWindowsContext) {}

  /** Skips this location's window if it cannot change any derived state; its marks are then cleared. */
  trySkip(id: string, w: ReadingWindow): boolean {
    const { ctx } = this;
    if (!ctx.enabled || ctx.watched(id) || !ctx.findings.tails.trySkip(id, w)) return false;
    this.stats.windows++;
    if (w.marks) this.marks.push(...w.marks);
    ctx.recovery.done('locations', [id]);
    return true;
  }

  /** Deletes the marks of skipped windows (SQLite: in the next ingest group commit), not awaited by flush. */
  clear(): void {
    if (this.marks.length === 0) return;
    const ids = this.marks.splice(0);
    const { store, log } = this.ctx;
    this.clearing = this.clearing
      .then(() => store.ingestBackend.clearMarks(ids))
      .catch((err) =>
        // Harmless: a mark left behind is re-evaluated at the next start (same result).
        log.warn({ err: errorMessage(err) }, 'clearing evaluation marks of skipped windows failed'),
      );
  }

  /** Resolves when the deletions started so far are done. */
  idle(): Promise<unknown> {
    return this.clearing;
  }
}
