import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import type { CloudStore } from '../store/cloud-store.js';

/** How a `DomainEngine` is set up. */
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
  /**
   * Evaluate an urgent location in a derive transaction of its own, beside the background one under way
   * (`UrgentLane`). PostgreSQL only, default on; SQLite (one writer) always off: urgent locations then
   * preempt the background between its transactions.
   */
  urgentLane?: boolean | undefined;
  /**
   * Long windows whose next chunks are evaluated at once, each a derive transaction of its own on a pooled
   * connection of its own (default `LONG_WINDOW_LANES`, 2). PostgreSQL only; SQLite always 1.
   */
  longWindowLanes?: number | undefined;
  /** The fewest readings a quiet span skipped holds (default `QUIET_MIN_READINGS`; tests of the proof: 0). */
  quietMinReadings?: number | undefined;
}
