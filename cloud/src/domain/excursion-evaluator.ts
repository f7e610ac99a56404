import {
  analyzeSeries,
  type Clock,
  type LocationExcursion,
  mergeExcursions,
  type Sample,
  type SensorExcursion,
} from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import type { CloudStore, LocationRow } from '../store/cloud-store.js';
import { DomainEngine, excursionId, type ReadingWindow } from './domain-engine.js';
import { ALL_TIME, limitsOf } from './location-evaluation.js';
import type { LockRule } from './locks/lock-rule.js';

export { excursionId, limitsOf };

/**
 * Full evaluation of one location's series (per-sensor runs merged into location excursions, plus
 * gaps): the reference the windowed recomputation of `DomainEngine` must equal.
 */
export function evaluateLocation(
  location: LocationRow,
  series: ReadonlyArray<{ sensor_id: string; ts: number; temp_c: number | null }>,
): { excursions: LocationExcursion[]; gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }> } {
  const bySensor = new Map<string, Sample[]>();
  for (const r of series) {
    const list = bySensor.get(r.sensor_id) ?? [];
    list.push({ ts: r.ts, tempC: r.temp_c });
    bySensor.set(r.sensor_id, list);
  }
  const limits = limitsOf(location);
  const items: SensorExcursion[] = [];
  const gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }> = [];
  for (const [sensorId, samples] of bySensor) {
    const analysis = analyzeSeries(samples, limits);
    for (const run of analysis.excursions) items.push({ sensorId, run });
    for (const g of analysis.gaps) gaps.push({ sensor_id: sensorId, from_ts: g.fromTs, to_ts: g.toTs });
  }
  return { excursions: mergeExcursions(items), gaps };
}

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
      });
  }

  markDirty(locationIds: Iterable<string>, windows?: ReadonlyMap<string, ReadingWindow>): void {
    this.engine.markReadings(windows ?? new Map([...locationIds].map((id) => [id, ALL_TIME] as const)));
  }

  /** Evaluates every dirty location (and EPC) now; resolves when done. */
  flush(): Promise<void> {
    return this.engine.flush();
  }

  /** Re-evaluates a location's whole history (new or changed limits); returns its excursion count. */
  evaluate(locationId: string): Promise<number> {
    return this.engine.reconcileLocation(locationId);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
