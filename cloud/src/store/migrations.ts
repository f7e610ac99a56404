import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { migration0001 } from './migrations/0001-core.js';
import { migration0002 } from './migrations/0002-domain.js';
import { migration0003 } from './migrations/0003-sinks.js';
import { migration0004 } from './migrations/0004-users.js';
import { migration0005 } from './migrations/0005-ingest-fast.js';
import { migration0006 } from './migrations/0006-evaluation-marks.js';
import { migration0007 } from './migrations/0007-cumulative-rule.js';
import { migration0008 } from './migrations/0008-stream-epochs.js';
import { migration0009 } from './migrations/0009-dead-letter-replay.js';
import { migration0011 } from './migrations/0011-sink-outbox-by-ingest.js';
import { migration0012 } from './migrations/0012-lock-hold.js';
import { migration0013 } from './migrations/0013-rule-alarms.js';
import { migration0014 } from './migrations/0014-lock-rule-key.js';
import { migration0015 } from './migrations/0015-spec-versions.js';
import { migration0017 } from './migrations/0017-signature-manifests.js';
import { migration0018 } from './migrations/0018-reading-digests.js';
import { migration0019 } from './migrations/0019-read-path-indexes.js';
import { migration0020 } from './migrations/0020-sensor-calibration.js';
import { migration0021 } from './migrations/0021-release-proposals.js';
import { migration0022 } from './migrations/0022-stock-closures.js';
import { migration0023 } from './migrations/0023-scans.js';
import { migration0026 } from './migrations/0026-receiving-indexes.js';
import { migration0027 } from './migrations/0027-quantity-holds.js';
import { migration0028 } from './migrations/0028-hibc-links.js';
import { migration0029 } from './migrations/0029-mark-owners.js';
import { migration0030 } from './migrations/0030-stock-closure-holds.js';
import { migration0031 } from './migrations/0031-reading-rollups.js';
import { migration0032 } from './migrations/0032-reading-archives.js';
import { migration0033 } from './migrations/0033-quantity-hold-reason.js';
import { migration0036 } from './migrations/0036-reading-deletions.js';
import { migration0038 } from './migrations/0038-rollups-by-location.js';
import { migration0039 } from './migrations/0039-derive-lock-row.js';
import { migration0040 } from './migrations/0040-readings-partitions.js';
import { migration0041 } from './migrations/0041-sink-outbox-ts.js';
import { migration0042 } from './migrations/0042-location-sensors.js';
import { migration0043 } from './migrations/0043-compact-readings.js';
import { migration0044 } from './migrations/0044-pg-compact-readings.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Schema migrations (one file each under migrations/), one list for SQLite and PostgreSQL, applied in
 * name order. Append new migrations; never edit a shipped one. `bigint` holds epoch milliseconds and
 * sequence numbers (SQLite stores any integer in INTEGER).
 */
const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001-core': migration0001(dialect),
  '0002-domain': migration0002(dialect),
  '0003-sinks': migration0003(dialect),
  '0004-users': migration0004,
  '0005-ingest-fast': migration0005(dialect),
  '0006-evaluation-marks': migration0006(dialect),
  '0007-cumulative-rule': migration0007,
  '0008-stream-epochs': migration0008,
  '0009-dead-letter-replay': migration0009,
  '0011-sink-outbox-by-ingest': migration0011(dialect),
  '0012-lock-hold': migration0012,
  '0013-rule-alarms': migration0013,
  '0014-lock-rule-key': migration0014,
  '0015-spec-versions': migration0015,
  '0017-signature-manifests': migration0017,
  '0018-reading-digests': migration0018,
  '0019-read-path-indexes': migration0019,
  '0020-sensor-calibration': migration0020,
  '0021-release-proposals': migration0021,
  '0022-stock-closures': migration0022,
  '0023-scans': migration0023,
  '0026-receiving-indexes': migration0026,
  '0027-quantity-holds': migration0027,
  '0028-hibc-links': migration0028,
  '0029-mark-owners': migration0029(dialect),
  '0030-stock-closure-holds': migration0030,
  '0031-reading-rollups': migration0031,
  '0032-reading-archives': migration0032,
  '0033-quantity-hold-reason': migration0033,
  '0036-reading-deletions': migration0036,
  '0038-rollups-by-location': migration0038,
  '0039-derive-lock-row': migration0039,
  '0040-readings-partitions': migration0040(dialect),
  '0041-sink-outbox-ts': migration0041,
  '0042-location-sensors': migration0042,
  '0043-compact-readings': migration0043(dialect),
  '0044-pg-compact-readings': migration0044(dialect),
});

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(
      `migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the schema to the named migration (tests of a migration over data of the schema before it). */
export async function migrateTo(db: Kysely<unknown>, dialect: Dialect, target: string): Promise<void> {
  const { error } = await new Migrator({ db, provider: new StaticProvider(dialect) }).migrateTo(target);
  if (error) throw error;
}
