import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { monthsAround } from '../store/partition-months.js';
import { type CompactionPass, compactClosedMonth } from '../store/reading-compaction.js';
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
  /** After a month's end, how long until its partition's indexes are rebuilt (store default: 2 days). */
  compactGraceMs?: number | undefined;
  /** Replaces the server's `server_version_num`, for tests. */
  serverVersionNum?: number | undefined;
  /**
   * The start's recovery (the engine's `RecoveryTracker`): while it lasts a pass rebuilds no month's
   * indexes, and a pass runs again once it is over.
   */
  recovery?: { readonly recovering: boolean; whenRecovered(): Promise<void> } | undefined;
  log: Logger;
  registry?: Registry | undefined;
}

/** What a pass did; `null` for a part that failed (logged and counted). */
export interface PartitionsPass {
  partitions: PartitionPass | null;
  compaction: CompactionPass | null;
}

export interface PartitionsModule extends CloudModule {
  /** One pass now (also what the timer runs), after the one running if any; `null` once stopping. */
  run(): Promise<PartitionsPass | null>;
}

/**
 * PostgreSQL's readings partitions (docs/operations.md "Partitions of readings"): once at start and then
 * every `intervalMs`, the current month's and the next `monthsAhead` months'
 * partitions are created, and readings that fell into the default partition (a month without its own:
 * data from the past, a gateway's wrong clock) are moved into partitions of their months. Then the oldest
 * closed month not yet compacted has its partition's indexes rebuilt (`compactClosedMonth`), one month a
 * pass, none while the start's recovery lasts (`recovery`). Optional: a failed part is logged and counted, the other still runs, and readings still land in
 * the default partition meanwhile.
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
  const compacted = new Counter({
    name: 'coldtrace_reading_partitions_compacted_total',
    help: "Closed months whose partition's indexes were rebuilt",
    registers: reg,
  });
  let toldUnsupported = false;
  const periodic = periodicPass<PartitionsPass>({
    clock: o.wallClock,
    intervalMs: o.intervalMs ?? PARTITION_INTERVAL_MS,
    // A rebuild may take minutes: not begun once the module stops.
    pass: async (stopping) => {
      const partitions = await partitionPass();
      if (o.recovery?.recovering) return { partitions, compaction: { outcome: 'deferred', dropped: [] } };
      return { partitions, compaction: stopping() ? null : await compaction() };
    },
  });
  async function partitionPass(): Promise<PartitionPass | null> {
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
  async function compaction(): Promise<CompactionPass | null> {
    try {
      const r = await compactClosedMonth(o.db, {
        now: o.wallClock.now(),
        graceMs: o.compactGraceMs,
        lockTimeoutMs: o.lockTimeoutMs,
        ...(o.serverVersionNum === undefined ? {} : { serverVersionNum: o.serverVersionNum }),
      });
      if (r.outcome === 'compacted') {
        compacted.inc();
        o.log.info(
          { month: r.month, dropped: r.dropped, indexBytes: r.indexBytes },
          'readings month compacted',
        );
      } else if (r.outcome === 'unsupported' && !toldUnsupported) {
        toldUnsupported = true;
        o.log.info(
          "PostgreSQL before 12 has no REINDEX CONCURRENTLY: closed months' indexes are not rebuilt",
        );
      }
      return r;
    } catch (err) {
      failures.inc();
      o.log.error(
        { err: errorMessage(err), code: 'partition_compaction_failed' },
        'readings month compaction failed; its invalid index copies are dropped and it is retried next pass',
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
    start: async () => {
      periodic.start();
      // A rebuild reads and writes a whole month of readings: it waits for the start's recovery, which
      // `/readyz` waits for, rather than take the database's CPU from it (docs/performance.md).
      if (o.recovery?.recovering) void o.recovery.whenRecovered().then(() => periodic.run());
    },
    stop: () => periodic.stop(),
  };
}
