import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { monthsAround } from '../store/partition-months.js';
import { maintainReadingPartitions, type PartitionPass } from '../store/reading-partitions.js';
import type { Database } from '../store/schema.js';
import type { CloudModule } from './cloud-module.js';
import { periodicPass } from './periodic-pass.js';

/** Months after the current one whose partitions exist ahead of their readings. */
export const PARTITION_MONTHS_AHEAD = 2;
/** Default period of the pass: hourly, so a month's partition is there long before the month. */
export const PARTITION_INTERVAL_MS = 3_600_000;

export interface PartitionsModuleOptions {
  db: Kysely<Database>;
  /** The wall clock: partitions are storage kept ahead of calendar time (docs/architecture.md "Time"). */
  wallClock: Clock;
  intervalMs?: number | undefined;
  monthsAhead?: number | undefined;
  /** How long a partition's creation waits for inserts into the default partition (store default: 5 s). */
  lockTimeoutMs?: number | undefined;
  log: Logger;
  registry?: Registry | undefined;
}

export interface PartitionsModule extends CloudModule {
  /** One pass now (also what the timer runs), after the one running if any; `null` when it failed. */
  run(): Promise<PartitionPass | null>;
}

/**
 * PostgreSQL's readings partitions (docs/operations.md "Partitions of readings"): once at start and then
 * every `intervalMs`, the current month's and the next `monthsAhead` months'
 * partitions are created, and readings that fell into the default partition (a month without its own:
 * data from the past, a gateway's wrong clock) are moved into partitions of their months. Optional: a
 * failed pass is logged and counted, and readings still land in the default partition meanwhile.
 */
export function partitionsModule(o: PartitionsModuleOptions): PartitionsModule {
  const reg = o.registry ? [o.registry] : [];
  const partitions = new Gauge({
    name: 'coldtrace_reading_partitions',
    help: 'Month partitions of the readings table (PostgreSQL), after the last pass',
    registers: reg,
  });
  const inDefault = new Gauge({
    name: 'coldtrace_readings_default_partition',
    help: 'Readings in the default partition after the last pass (moved to their month at the next)',
    registers: reg,
  });
  const moved = new Counter({
    name: 'coldtrace_readings_partition_moved_total',
    help: 'Readings moved from the default partition into their month partitions',
    registers: reg,
  });
  const failures = new Counter({
    name: 'coldtrace_reading_partition_failures_total',
    help: 'Partition passes that failed (logged; retried at the next interval)',
    registers: reg,
  });
  const periodic = periodicPass<PartitionPass>({
    clock: o.wallClock,
    intervalMs: o.intervalMs ?? PARTITION_INTERVAL_MS,
    pass,
  });
  async function pass(): Promise<PartitionPass | null> {
    try {
      const r = await maintainReadingPartitions(o.db, {
        months: monthsAround(o.wallClock.now(), o.monthsAhead ?? PARTITION_MONTHS_AHEAD),
        lockTimeoutMs: o.lockTimeoutMs,
      });
      partitions.set(r.partitions);
      inDefault.set(r.inDefault);
      moved.inc(r.moved);
      if (r.created.length > 0)
        o.log.info({ created: r.created, moved: r.moved }, 'readings partitions created');
      return r;
    } catch (err) {
      failures.inc();
      o.log.error(
        { err: errorMessage(err), code: 'partition_pass_failed' },
        'readings partition pass failed; new readings go to the default partition meanwhile',
      );
      return null;
    }
  }
  return {
    name: 'reading partitions',
    required: false,
    run: periodic.run,
    // The first pass is not awaited: moving a large default partition can take a while, and readings
    // wait in the default partition meanwhile.
    start: async () => periodic.start(),
    stop: () => periodic.stop(),
  };
}
