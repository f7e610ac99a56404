import { ColdtraceError, type Stream } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { type IngestBatch, type IngestResult, ingestPlan } from '../../domain/ingest/ingest-plan.js';
import { runSync } from '../../domain/ingest/ingest-store.js';
import type { ScanMappingOptions } from '../../domain/ingest/scan-mapping.js';
import type { Database } from '../schema.js';
import type { IngestBackend } from './ingest-backend.js';
import { SqliteIngestStore } from './sqlite-ingest-store.js';

interface Job {
  work: () => unknown;
  /** False for housekeeping (clearing evaluation marks): not counted as a batch in `groups`. */
  batch: boolean;
  resolve: (r: unknown) => void;
  reject: (err: unknown) => void;
}

/** Largest number of batches one group commit takes; the rest wait for the next one. */
const MAX_GROUP = 256;

/**
 * The SQLite ingest backend (docs/architecture.md "Storage and sinks"): `ingestPlan` run synchronously on
 * better-sqlite3 prepared statements (`SqliteIngestStore`), with group commit: batches submitted while a
 * commit is pending or running join one transaction (if one batch fails, the group is rolled back and
 * retried batch by batch, so a bad batch rejects alone). A batch's promise resolves only after the COMMIT
 * that contains its records (synchronous=FULL), so the broker's PUBACK still follows durability. The
 * group runs while holding Kysely's connection (its mutex), so it never lands inside a Kysely transaction
 * that is awaiting on the same handle.
 */
export class SqliteIngestBackend implements IngestBackend {
  private readonly store: SqliteIngestStore;
  private readonly deleteMark: SqliteDatabase.Statement<unknown[], unknown>;
  private queue: Job[] = [];
  private scheduled = false;
  /** Batches committed per group, for tests and the benchmark. */
  readonly groups = { count: 0, batches: 0, largest: 0 };

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    private readonly db: Kysely<Database>,
  ) {
    this.store = new SqliteIngestStore(sqlite);
    this.deleteMark = sqlite.prepare('DELETE FROM evaluation_marks WHERE id = ?');
  }

  ingest(
    stream: Stream,
    gatewayId: string,
    batch: IngestBatch,
    receivedAt: number,
    scans?: ScanMappingOptions,
  ): Promise<IngestResult> {
    return this.submit(() => runSync(ingestPlan(stream, gatewayId, batch, receivedAt, scans), this.store));
  }

  /**
   * Deletes evaluation marks the domain engine proved need no recomputation (windows it skipped), in the
   * next group commit: no commit of its own while ingest runs.
   */
  clearMarks(ids: readonly number[]): Promise<void> {
    return this.submit(() => {
      for (const id of ids) this.deleteMark.run(id);
    }, false).then(() => undefined);
  }

  /** Queues one batch's work for the next group commit; resolves after that commit. */
  private submit<T>(work: () => T, batch = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, batch, resolve: resolve as (r: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Not a timer: lets the batches already parsed in this turn of the event loop join the group.
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    this.db
      .connection()
      .execute(async () => {
        const jobs = this.queue.splice(0, MAX_GROUP);
        if (this.queue.length > 0) setImmediate(() => this.drain());
        else this.scheduled = false;
        if (jobs.length === 0) return;
        this.runGroup(jobs);
      })
      .catch((err) => {
        // Only reached when the connection itself failed before the group ran.
        for (const j of this.queue.splice(0)) j.reject(err);
        this.scheduled = false;
      });
  }

  private runGroup(jobs: Job[]): void {
    if (this.sqlite.inTransaction) {
      // Someone began a transaction on the raw handle outside Kysely: never join it (its rollback
      // would take acknowledged records along).
      const err = new ColdtraceError(
        'conflict',
        'SQLite handle is inside a foreign transaction; ingest refused',
      );
      for (const j of jobs) j.reject(err);
      return;
    }
    let values: unknown[];
    try {
      // Happy path: the whole group in one transaction, no SAVEPOINT per batch (with the sink trigger on
      // readings, savepoints cost a statement sub-journal per statement: measured 4x slower).
      values = this.sqlite.transaction(() => jobs.map((j) => j.work()))();
    } catch (groupErr) {
      if (jobs.length === 1) {
        jobs[0]!.reject(groupErr);
        return;
      }
      // A batch failed (or the COMMIT did): the group was rolled back whole. Retry each batch in its
      // own transaction so a bad batch rejects alone and the others are committed.
      for (const j of jobs) {
        try {
          const v = this.sqlite.transaction(j.work)();
          this.count(j.batch ? 1 : 0);
          j.resolve(v);
        } catch (err) {
          j.reject(err);
        }
      }
      return;
    }
    this.count(jobs.filter((j) => j.batch).length);
    for (let i = 0; i < jobs.length; i++) jobs[i]!.resolve(values[i]!);
  }

  private count(batches: number): void {
    if (batches === 0) return;
    this.groups.count++;
    this.groups.batches += batches;
    if (batches > this.groups.largest) this.groups.largest = batches;
  }
}
