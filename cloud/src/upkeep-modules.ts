import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CloudConfig } from './config.js';
import type { RecoveryTracker } from './engine/recovery-progress.js';
import { checkpointModule } from './modules/checkpoint-module.js';
import type { CloudModule } from './modules/cloud-module.js';
import { partitionsModule } from './modules/partitions-module.js';
import { retentionModule } from './modules/retention-module.js';
import type { CloudStore } from './store/cloud-store.js';

/** The cloud's periodic upkeep of its store, each where `startCloud` starts it. */
export interface UpkeepModules {
  /** Audit checkpoints: first to start, last to stop, so its stop signs the heads once nothing else writes. */
  checkpoints: CloudModule[];
  /** Readings partitions (PostgreSQL only; docs/operations.md "Partitions of readings"). */
  partitions: CloudModule[];
  /** Retention of raw readings, when configured (docs/operations.md "Retention of raw readings"). */
  retention: CloudModule[];
}

/** The upkeep modules `config` asks for, on the wall clock (their periods are calendar time). */
export function upkeepModules(o: {
  config: CloudConfig;
  store: CloudStore;
  wallClock: Clock;
  log: Logger;
  registry: Registry;
  /** The start's recovery, which the partitions' index rebuilds wait for. */
  recovery: RecoveryTracker;
}): UpkeepModules {
  const { config, store, wallClock, log, registry } = o;
  const checkpoints = config.audit.checkpoints;
  return {
    checkpoints: checkpoints
      ? [
          checkpointModule({
            db: store.db,
            keyFile: checkpoints.keyFile,
            dest: checkpoints,
            intervalMs: checkpoints.intervalMs,
            clock: wallClock,
            log: log.child({ component: 'checkpoints' }),
            registry,
          }),
        ]
      : [],
    partitions:
      store.opened.dialect === 'postgres'
        ? [
            partitionsModule({
              db: store.db,
              wallClock,
              log: log.child({ component: 'partitions' }),
              registry,
              recovery: o.recovery,
            }),
          ]
        : [],
    retention: config.retention?.rawReadingsDays
      ? [
          retentionModule({
            db: store.db,
            dialect: store.opened.dialect,
            archiveDir: config.retention.archiveDir,
            rawReadingsDays: config.retention.rawReadingsDays,
            intervalMs: config.retention.intervalMs,
            wallClock,
            log: log.child({ component: 'retention' }),
            registry,
          }),
        ]
      : [],
  };
}
