import type { Reading, Stream } from '@coldtrace/shared';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type IngestBatch, type IngestResult, ingestPlan } from '../../domain/ingest/ingest-plan.js';
import { runAsync } from '../../domain/ingest/ingest-store.js';
import type { ScanMappingOptions } from '../../domain/ingest/scan-mapping.js';
import { deleteMarks, marksDb } from '../evaluation-marks.js';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import type { IngestBackend } from './ingest-backend.js';
import { KyselyIngestStore } from './kysely-ingest-store.js';
import { readingIds, readingKeys } from './pg-reading-rows.js';

interface Job {
  stream: Stream;
  gatewayId: string;
  batch: IngestBatch;
  receivedAt: number;
  scans: ScanMappingOptions | undefined;
  resolve: (r: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** Most batches one group commit takes; the rest wait for the next group. */
const MAX_GROUP = 64;
/** Backlog group transactions of this process at once: one commits while the next fills and runs. */
const GROUPS_IN_FLIGHT = 2;

/**
 * The Kysely ingest backend (PostgreSQL; on SQLite it runs in the contract suite): `ingestPlan` with group
 * commit. Batches that arrive while this process's group transactions are busy (a source with several
 * deliveries in flight, e.g. AMQP prefetch) join the next group: one transaction, one commit for all of
 * them, each batch's promise resolved after that commit (so its acknowledgement follows durability). If a
 * group fails, it was rolled back whole and each of its batches is retried in its own transaction, so a bad
 * batch rejects alone. Several ingestors run groups concurrently on one database: per-(gateway, stream)
 * advisory locks, taken in one order (by their hash) at the start of a group, keep two of them from placing
 * epochs or merging touching ranges of one stream at once (a lost update would leave a false hole), and
 * the single order keeps two groups from deadlocking. SQLite serialises transactions anyway.
 */
export class KyselyIngestBackend implements IngestBackend {
  private queue: Job[] = [];
  private inFlight = 0;
  /** Live readings batches: a lane of their own, one group at a time beside the backlog's groups. */
  private liveQueue: Job[] = [];
  private liveInFlight = false;
  /** Batches committed per group, for tests and the benchmark. */
  readonly groups = { count: 0, batches: 0, largest: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  ingest(
    stream: Stream,
    gatewayId: string,
    batch: IngestBatch,
    receivedAt: number,
    scans?: ScanMappingOptions,
    opts?: { live?: boolean },
  ): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      (opts?.live ? this.liveQueue : this.queue).push({
        stream,
        gatewayId,
        batch,
        receivedAt,
        scans,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  clearMarks(ids: readonly number[]): Promise<void> {
    return deleteMarks(marksDb(this.db), ids);
  }

  private pump(): void {
    // A storm's backlog fills the groups (up to MAX_GROUP batches each, seconds to commit under load): a live
    // batch queued behind them would wait for two of them. Its own group starts at once instead, one extra
    // transaction at most (docs/performance.md "Reconnect storm").
    if (!this.liveInFlight && this.liveQueue.length > 0) {
      const jobs = this.liveQueue.splice(0, MAX_GROUP);
      this.liveInFlight = true;
      void this.runGroup(jobs).finally(() => {
        this.liveInFlight = false;
        this.pump();
      });
    }
    while (this.inFlight < GROUPS_IN_FLIGHT && this.queue.length > 0) {
      const jobs = this.queue.splice(0, MAX_GROUP);
      this.inFlight++;
      void this.runGroup(jobs).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(jobs: readonly Job[]): Promise<IngestResult[]> {
    // Readings' dictionary keys (0044) are made before, each committed at once: made inside the group, a new
    // id's key would hold every other group that meets the id until this one commits.
    if (this.dialect === 'postgres') {
      const readings = jobs.filter((j) => j.stream === 'readings');
      if (readings.length > 0)
        await readingKeys(
          this.db,
          readingIds(readings.map((j) => [j.gatewayId, j.batch.records as readonly Reading[]] as const)),
        );
    }
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await this.lockStreams(trx, jobs);
      // One store for the group: it keeps what each batch would read again (kysely-ingest-store.ts).
      const store = new KyselyIngestStore(trx, this.dialect);
      const results: IngestResult[] = [];
      for (const j of jobs)
        results.push(
          await runAsync(ingestPlan(j.stream, j.gatewayId, j.batch, j.receivedAt, j.scans), store),
        );
      return results;
    });
  }

  /** The advisory locks of every (gateway, stream) in the group, in ascending lock id. */
  private async lockStreams(trx: Transaction<Database>, jobs: readonly Job[]): Promise<void> {
    const keys = [...new Set(jobs.map((j) => `${j.gatewayId}/${j.stream}`))];
    await sql`select pg_advisory_xact_lock(k) from (select distinct hashtext(s) as k from unnest(${keys}::text[]) as s order by k) as locks`.execute(
      trx,
    );
  }

  private async runGroup(jobs: Job[]): Promise<void> {
    try {
      const results = await this.run(jobs);
      this.count(jobs.length);
      for (let i = 0; i < jobs.length; i++) jobs[i]!.resolve(results[i]!);
      return;
    } catch (groupErr) {
      if (jobs.length === 1) {
        jobs[0]!.reject(groupErr);
        return;
      }
    }
    // The group was rolled back whole: each batch in its own transaction, so only a bad one fails.
    for (const j of jobs) {
      try {
        const [r] = await this.run([j]);
        this.count(1);
        j.resolve(r!);
      } catch (err) {
        j.reject(err);
      }
    }
  }

  private count(batches: number): void {
    this.groups.count++;
    this.groups.batches += batches;
    if (batches > this.groups.largest) this.groups.largest = batches;
  }
}
