import type { Clock } from '@coldtrace/shared';
import type { ExcursionEvaluator } from '../../domain/excursion-evaluator.js';
import type { CloudStore } from '../../store/cloud-store.js';

export interface RouteDeps {
  store: CloudStore;
  evaluator: ExcursionEvaluator;
  clock: Clock;
}
