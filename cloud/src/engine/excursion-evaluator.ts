import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import { evaluateLocation } from '../domain/evaluate-location.js';
import { ALL_TIME, limitsOf, type TimeWindow } from '../domain/location-evaluation.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import type { CloudStore } from '../store/cloud-store.js';
import { DomainEngine, excursionId, type ReadingWindow } from './domain-engine.js';

export { evaluateLocation, excursionId, limitsOf };

/**
 * The excursion side of the domain engine, under the name the HTTP routes and `cloud.ts` know:
 * marks locations dirty (over event-time windows) and re-evaluates them through `DomainEngine`, which
 * keeps excursion ids stable and derives locks and audit entries.
 */
export class ExcursionEvaluator {
  readonly engine: DomainEngine;

  constructor(opts: {
    store: CloudStore;
    clock: Clock;
    log: Logger;
    debounceMs?: number;
    engine?: DomainEngine;
    activity?: Activity;
    /** Called after a recomputation that enqueued integration events committed (the outbox dispatcher). */
    onEvents?: () => void;
    /** Lock rules beyond excursions (the rate-of-change rule). */
    rules?: readonly LockRule[];
    /** Readings per chunk of a long window (`DomainEngineOptions.chunkReadings`). */
    chunkReadings?: number;
    /** `DomainEngineOptions.urgentLane`. */
    urgentLane?: boolean | undefined;
  }) {
    this.engine =
      opts.engine ??
      new DomainEngine({
        store: opts.store,
        clock: opts.clock,
        log: opts.log,
        debounceMs: opts.debounceMs,
        activity: opts.activity,
        onEvents: opts.onEvents,
        rules: opts.rules,
        chunkReadings: opts.chunkReadings,
        urgentLane: opts.urgentLane,
      });
  }

  markDirty(locationIds: Iterable<string>, windows?: ReadonlyMap<string, ReadingWindow>): void {
    this.engine.markReadings(windows ?? new Map([...locationIds].map((id) => [id, ALL_TIME] as const)));
  }

  /** Evaluates every dirty location (and EPC) now; resolves when done. */
  flush(): Promise<void> {
    return this.engine.flush();
  }

  /**
   * Re-evaluates a location's history (new location: all of it; a new limit version: from its
   * effectiveFrom on, where `window` starts); returns its excursion count.
   */
  evaluate(locationId: string, window?: TimeWindow): Promise<number> {
    return this.engine.reconcileLocation(locationId, window);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
