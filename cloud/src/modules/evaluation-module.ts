import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { ExcursionEvaluator } from '../engine/excursion-evaluator.js';
import type { CloudModule } from './cloud-module.js';

/** Age after which an evaluation mark counts as left behind by a dead process (periodic sweep). */
const MARK_SWEEP_AGE_MS = 120_000;

export interface EvaluationModuleOptions {
  evaluator: ExcursionEvaluator;
  clock: Clock;
  log: Logger;
}

/**
 * Evaluation (docs/architecture.md "Evaluation marks", "Recovery"): at start, the marks a process that died
 * left behind are marked dirty before ingest starts (recomputed while serving, long windows in chunks;
 * `/readyz` says "recovering" until done), as is every location a lock rule watches by configuration (it
 * may have changed); then a periodic sweep picks up marks another ingestor process (PostgreSQL) left when
 * it died. Every rule's pending work is in those marks. Stop finishes the work already marked, except a long
 * window's remaining chunks (its marks stay for the next start).
 */
export function evaluationModule(o: EvaluationModuleOptions): CloudModule {
  const timers: Array<ReturnType<Clock['setInterval']>> = [];
  return {
    name: 'evaluation',
    required: true,
    async start() {
      await o.evaluator.engine.recoverMarks({ atStart: true });
      o.evaluator.engine.markRuleLocations();
      timers.push(
        o.clock.setInterval(() => {
          o.evaluator.engine
            .recoverMarks({ createdBefore: o.clock.now() - MARK_SWEEP_AGE_MS })
            .catch((err) => o.log.warn({ err }, 'evaluation mark sweep failed'));
        }, MARK_SWEEP_AGE_MS),
      );
    },
    async stop() {
      for (const t of timers.splice(0)) o.clock.clearInterval(t);
      await o.evaluator.close();
      await o.evaluator.flush().catch(() => {});
    },
  };
}
