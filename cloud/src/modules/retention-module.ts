import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { withOutboxLane } from '../store/lane-lock.js';
import type { Dialect } from '../store/migrations.js';
import { type RetentionPass, runRetentionPass } from '../store/retention-pass.js';
import type { Database } from '../store/schema.js';
import type { CloudModule } from './cloud-module.js';
import { periodicPass } from './periodic-pass.js';

/** Who the module's archives and deletions are audited as. */
export const RETENTION_ACTOR = 'system:retention';

export interface RetentionModuleOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  archiveDir: string;
  rawReadingsDays: number;
  intervalMs: number;
  /** The wall clock: a retention period is calendar time (docs/architecture.md "Time"). */
  wallClock: Clock;
  log: Logger;
  registry?: Registry | undefined;
}

export interface RetentionModule extends CloudModule {
  /**
   * One pass now (also what the timer runs), after the one running if any. Resolves to its result,
   * `undefined` when another cloud sharing the database holds the retention lane, or `null` when it failed
   * (logged and counted).
   */
  run(): Promise<RetentionPass | undefined | null>;
}

/**
 * Retention of raw readings (docs/operations.md "Retention of raw readings"): once at start and then every
 * `intervalMs`, a pass (store/retention-pass.ts) archives the expired months and prunes the archived ones,
 * as the only cloud doing so among those sharing the database (the `retention` lane). Optional: a failing
 * pass is logged and counted, never fatal, and a month that cannot be archived stops the pass before any
 * deletion.
 */
export function retentionModule(o: RetentionModuleOptions): RetentionModule {
  const reg = o.registry ? [o.registry] : [];
  const lastRun = new Gauge({
    name: 'coldtrace_retention_last_run_timestamp_seconds',
    help: 'Wall-clock time of the last retention pass that completed without a failure',
    registers: reg,
  });
  const archived = new Counter({
    name: 'coldtrace_retention_months_archived_total',
    help: 'Months of raw readings the retention module archived',
    registers: reg,
  });
  const pruned = new Counter({
    name: 'coldtrace_retention_readings_pruned_total',
    help: 'Raw readings the retention module deleted after archiving them',
    registers: reg,
  });
  const failures = new Counter({
    name: 'coldtrace_retention_failures_total',
    help: 'Retention passes that failed or pruned an archive with a failure (logged; retried at the next interval)',
    registers: reg,
  });
  const periodic = periodicPass<RetentionPass | undefined>({
    clock: o.wallClock,
    intervalMs: o.intervalMs,
    pass,
  });
  async function pass(stopping: () => boolean): Promise<RetentionPass | undefined | null> {
    const now = o.wallClock.now();
    try {
      const r = await withOutboxLane(o.db, o.dialect, 'retention', (db) =>
        runRetentionPass(db, {
          dir: o.archiveDir,
          rawReadingsDays: o.rawReadingsDays,
          now,
          actor: RETENTION_ACTOR,
          stopping,
          onArchived: (period) => {
            archived.inc();
            o.log.info({ period }, 'retention archived a month of raw readings');
          },
        }),
      );
      if (r === undefined) {
        o.log.debug('retention pass skipped: another cloud is running one');
        return undefined;
      }
      pruned.inc(r.readings);
      for (const f of r.failed)
        o.log.error(
          { archive: f.id, err: f.error, code: 'retention_prune_failed' },
          'retention prune failed',
        );
      if (r.failed.length > 0) failures.inc();
      else lastRun.set(now / 1000);
      o.log.info(
        { archived: r.archived, pruned: r.pruned, readings: r.readings, failed: r.failed.length },
        'retention pass done',
      );
      return r;
    } catch (err) {
      failures.inc();
      o.log.error(
        { err: errorMessage(err), code: 'retention_failed' },
        'retention pass failed; nothing was deleted after the failure',
      );
      return null;
    }
  }
  return {
    name: 'retention',
    required: false,
    run: periodic.run,
    // The first pass is not awaited: archiving months can take a while.
    start: async () => periodic.start(),
    stop: () => periodic.stop(),
  };
}
