import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { CumulativeEvaluator } from '../engine/cumulative-evaluator.js';
import type { ExcursionEvaluator } from '../engine/excursion-evaluator.js';
import type { CloudModule } from './cloud-module.js';

/** Age after which an evaluation mark counts as left behind by a dead process (periodic sweep). */
const MARK_SWEEP_AGE_MS = 120_000;

export interface EvaluationModuleOptions {
  evaluator: ExcursionEvaluator;
  cumulative: CumulativeEvaluator;
  clock: Clock;
  log: Logger;
  cumulativeSweepMs: number;
}

/**
 * Evaluation (docs/architecture.md "Evaluation marks"): at start, the marks a process that died left
 * behind are marked dirty before ingest starts (recomputed while serving), and every unit under a
 * cumulative rule is recomputed once (that rule's pending work is not durable), as is every location a lock
 * rule watches (its configuration may have changed); then periodic sweeps pick
 * up marks another ingestor process (PostgreSQL) left when it died, and the cumulative rules again. Stop
 * finishes the work already marked.
 */
export function evaluationModule(o: EvaluationModuleOptions): CloudModule {
  const timers: Array<ReturnType<Clock['setInterval']>> = [];
  return {
    name: 'evaluation',
    required: true,
    async start() {
      await o.evaluator.engine.recoverMarks();
      o.evaluator.engine.markRuleLocations();
      await o.cumulative.markAllRuled();
      timers.push(
        o.clock.setInterval(() => {
          o.evaluator.engine
            .recoverMarks({ createdBefore: o.clock.now() - MARK_SWEEP_AGE_MS })
            .catch((err) => o.log.warn({ err }, 'evaluation mark sweep failed'));
        }, MARK_SWEEP_AGE_MS),
        o.clock.setInterval(() => {
          o.cumulative.markAllRuled().catch((err) => o.log.warn({ err }, 'cumulative rule sweep failed'));
        }, o.cumulativeSweepMs),
      );
    },
    async stop() {
      for (const t of timers.splice(0)) o.clock.clearInterval(t);
      await o.cumulative.close();
      await o.evaluator.close();
      await o.evaluator.flush().catch(() => {});
      await o.cumulative.flush().catch(() => {});
    },
  };
}
