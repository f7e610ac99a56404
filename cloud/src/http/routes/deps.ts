import type { Clock } from '@coldtrace/shared';
import type { ExcursionEvaluator } from '../../engine/excursion-evaluator.js';
import type { CloudStore } from '../../store/cloud-store.js';

export interface RouteDeps {
  store: CloudStore;
  evaluator: ExcursionEvaluator;
  /** The data clock: ingest, evaluation, the time the data is about (docs/architecture.md "Time"). */
  clock: Clock;
  /**
   * The wall clock: sessions, signatures, times of people's actions and of generated reports; never the
   * data clock, even when a scenario runs that one faster (docs/architecture.md "Time").
   */
  wallClock: Clock;
}
