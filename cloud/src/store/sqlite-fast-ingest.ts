import type {
  Alarm,
  AlarmsBatch,
  Movement,
  MovementsBatch,
  Reading,
  ReadingsBatch,
  Stream,
} from '@coldtrace/shared';
import { ColdtraceError } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SeqSpan } from './coverage.js';
import { alarmRow, movementRow, readingRow } from './record-rows.js';
import type { Database } from './schema.js';
import type { SequenceReuse } from './sequence-reuse.js';
import { type ReuseOutcome, SqliteSequenceReuse } from './sqlite-sequence-reuse.js';
import { SqliteStreamEpochs } from './sqlite-stream-epochs.js';
import type { EpochPlacement, SequenceReset } from './stream-epochs.js';

export interface FastIngestResult {
  inserted: number;
  duplicates: number;
  /** Readings: location id → evaluation mark id (see `CloudStore.ingestReadings`). */
  marks?: ReadonlyMap<string, number>;
  /** The batch started a new buffer epoch after another: a sequence reset (audited with the batch). */
  sequenceReset?: SequenceReset;
  /** The batch's epoch became the stream's first known epoch (offset 0). */
  epochAdopted?: string;
  /** Records stored in a fork of their epoch because their number was taken by another record. */
  reused?: number;
  /** Forks this batch opened (each audited as `gateway.sequence_reuse`). */
  sequenceReuses?: SequenceReuse[];
}

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

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
 * The SQLite ingest fast path (docs/architecture.md "Storage and sinks"): better-sqlite3 prepared statements,
 * `ON CONFLICT (gateway_id, seq) DO NOTHING` for idempotence (SQLite upsert clause: unlike `INSERT OR IGNORE`
 * it does not also swallow NOT NULL violations; `changes` counts only rows really inserted), and group
 * commit: batches submitted while a commit is pending or running join one transaction (if one batch fails,
 * the group is rolled back and retried batch by batch, so a bad batch rejects alone). A batch's promise
 * resolves only after the COMMIT that contains its records (synchronous=FULL), so the broker's PUBACK still
 * follows durability. The group runs while holding Kysely's connection (its mutex), so it never lands inside
 * a Kysely transaction that is awaiting on the same handle. A batch with new records also writes its
 * evaluation marks (0006: one per location and batch, or per EPC) in the same transaction. Each batch's seqs
 * are first moved into its buffer epoch's stored sequence space (0008, `sqlite-stream-epochs.ts`).
 */
export class SqliteFastIngest {
  private readonly insertReading: Statement;
  private readonly insertMovement: Statement;
  private readonly insertAlarm: Statement;
  private readonly nearThinned: Statement;
  private readonly deleteThinned: Statement;
  private readonly insertThinned: Statement;
  private readonly insertMark: Statement;
  private readonly deleteMark: Statement;
  private readonly nearRanges: Statement;
  private readonly updateRange: Statement;
  private readonly deleteRange: Statement;
  private readonly insertRange: Statement;
  /** Sink outbox (0003-sinks), filled here on SQLite since 0005-ingest-fast dropped the per-row trigger. */
  private readonly enabledSinks: Statement | undefined;
  private readonly insertOutbox: Statement | undefined;
  /** Buffer epochs (0008): each batch's seqs are moved into its epoch's stored sequence space. */
  private readonly epochs: SqliteStreamEpochs;
  /** Records whose (gateway, seq) is taken: duplicate or reused number (sequence-reuse.ts). */
  private readonly reuse: SqliteSequenceReuse;
  private queue: Job[] = [];
  private scheduled = false;
  /** Batches committed per group, for tests and the benchmark. */
  readonly groups = { count: 0, batches: 0, largest: 0 };

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    private readonly db: Kysely<Database>,
  ) {
    this.insertReading = sqlite.prepare(
      `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    this.insertMovement = sqlite.prepare(
      `INSERT INTO movements (gateway_id, seq, epc, portal_id, kind, from_location, to_location,
         direction, ts, first_seen, last_seen, reads, peak_rssi, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    this.insertAlarm = sqlite.prepare(
      `INSERT INTO alarms (gateway_id, seq, alarm_id, kind, state, severity, ts, location_id,
         sensor_id, value, message, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    this.nearThinned = sqlite.prepare(
      `SELECT from_seq, to_seq, received_at FROM thinned_ranges
       WHERE gateway_id = ? AND stream = ? AND from_seq <= ? AND to_seq >= ?`,
    );
    this.deleteThinned = sqlite.prepare(
      'DELETE FROM thinned_ranges WHERE gateway_id = ? AND stream = ? AND from_seq = ?',
    );
    this.insertThinned = sqlite.prepare(
      `INSERT INTO thinned_ranges (gateway_id, stream, from_seq, to_seq, received_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (gateway_id, stream, from_seq) DO UPDATE SET to_seq = excluded.to_seq`,
    );
    // Evaluation marks (0006): one per location and batch (readings), per EPC (movements).
    this.insertMark = sqlite.prepare(
      `INSERT INTO evaluation_marks (kind, subject, from_ts, to_ts, cause, created_at)
       VALUES (?, ?, ?, ?, NULL, ?)`,
    );
    this.deleteMark = sqlite.prepare('DELETE FROM evaluation_marks WHERE id = ?');
    this.nearRanges = sqlite.prepare(
      `SELECT from_seq, to_seq FROM stream_ranges
       WHERE gateway_id = ? AND stream = ? AND from_seq <= ? AND to_seq >= ?`,
    );
    this.updateRange = sqlite.prepare(
      `UPDATE stream_ranges SET from_seq = ?, to_seq = ? WHERE gateway_id = ? AND stream = ? AND from_seq = ?`,
    );
    this.deleteRange = sqlite.prepare(
      'DELETE FROM stream_ranges WHERE gateway_id = ? AND stream = ? AND from_seq = ?',
    );
    this.insertRange = sqlite.prepare(
      'INSERT INTO stream_ranges (gateway_id, stream, from_seq, to_seq) VALUES (?, ?, ?, ?)',
    );
    this.epochs = new SqliteStreamEpochs(sqlite);
    this.reuse = new SqliteSequenceReuse(sqlite);
    // While the 0003 trigger exists (a schema before 0005), it enqueues; never both.
    const trigger = sqlite
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'readings_sink_outbox'")
      .get();
    const outbox = sqlite
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sink_outbox'")
      .get();
    if (!trigger && outbox) {
      this.enabledSinks = sqlite
        .prepare('SELECT name FROM sink_state WHERE enabled = 1 ORDER BY name')
        .pluck();
      this.insertOutbox = sqlite.prepare('INSERT INTO sink_outbox (sink, gateway_id, seq) VALUES (?, ?, ?)');
    }
  }

  ingestReadings(gatewayId: string, batch: ReadingsBatch, receivedAt: number): Promise<FastIngestResult> {
    return this.submit(() => {
      const place = this.epochs.place(gatewayId, 'readings', batch.epoch, receivedAt);
      const taken = new Taken();
      // Read inside the transaction (the group's), so a sink enabled or disabled by another transaction
      // applies to whole batches, as the 0003 trigger did per row.
      const sinks = (this.enabledSinks?.all() ?? []) as string[];
      // Per location, the event-time window of the batch: its evaluation mark, if anything was new.
      const windows = new Map<string, { fromTs: number; toTs: number }>();
      for (const r of batch.records as Reading[]) {
        const w = windows.get(r.locationId);
        if (!w) windows.set(r.locationId, { fromTs: r.ts, toTs: r.ts });
        else if (r.ts < w.fromTs) w.fromTs = r.ts;
        else if (r.ts > w.toTs) w.toTs = r.ts;
      }
      const inserted = this.insertEach(
        'readings',
        gatewayId,
        place,
        batch.records as Reading[],
        (seq, r) => this.runReading(gatewayId, seq, r, receivedAt),
        readingRow,
        receivedAt,
        taken,
        // Only newly inserted readings are enqueued (a duplicate skipped by ON CONFLICT is not).
        sinks.length > 0
          ? (seq) => {
              for (const sink of sinks) this.insertOutbox!.run(sink, gatewayId, seq);
            }
          : undefined,
      );
      const result = taken.into(this.finish('readings', gatewayId, batch, receivedAt, inserted, place));
      if (inserted === 0) return result;
      const marks = new Map<string, number>();
      for (const [loc, w] of windows) {
        marks.set(
          loc,
          Number(this.insertMark.run('location', loc, w.fromTs, w.toTs, receivedAt).lastInsertRowid),
        );
      }
      return { ...result, marks };
    });
  }

  private runReading(gatewayId: string, seq: number, r: Reading, receivedAt: number): number {
    return this.insertReading.run(
      gatewayId,
      seq,
      r.sensorId,
      r.locationId,
      r.ts,
      r.tempC,
      r.rh ?? null,
      r.quality,
      receivedAt,
    ).changes;
  }

  ingestMovements(gatewayId: string, batch: MovementsBatch, receivedAt: number): Promise<FastIngestResult> {
    return this.submit(() => {
      const place = this.epochs.place(gatewayId, 'movements', batch.epoch, receivedAt);
      const taken = new Taken();
      const inserted = this.insertEach(
        'movements',
        gatewayId,
        place,
        batch.records as Movement[],
        (seq, m) => this.runMovement(gatewayId, seq, m, receivedAt),
        movementRow,
        receivedAt,
        taken,
      );
      if (inserted > 0) {
        for (const epc of new Set((batch.records as Movement[]).map((m) => m.epc)))
          this.insertMark.run('epc', epc, null, null, receivedAt);
      }
      return taken.into(this.finish('movements', gatewayId, batch, receivedAt, inserted, place));
    });
  }

  private runMovement(gatewayId: string, seq: number, m: Movement, receivedAt: number): number {
    return this.insertMovement.run(
      gatewayId,
      seq,
      m.epc,
      m.portalId,
      m.kind,
      m.from,
      m.to,
      m.direction,
      m.ts,
      m.firstSeen,
      m.lastSeen,
      m.reads,
      m.peakRssi,
      receivedAt,
    ).changes;
  }

  ingestAlarms(gatewayId: string, batch: AlarmsBatch, receivedAt: number): Promise<FastIngestResult> {
    return this.submit(() => {
      const place = this.epochs.place(gatewayId, 'alarms', batch.epoch, receivedAt);
      const taken = new Taken();
      const inserted = this.insertEach(
        'alarms',
        gatewayId,
        place,
        batch.records as Alarm[],
        (seq, a) => this.runAlarm(gatewayId, seq, a, receivedAt),
        alarmRow,
        receivedAt,
        taken,
      );
      return taken.into(this.finish('alarms', gatewayId, batch, receivedAt, inserted, place));
    });
  }

  private runAlarm(gatewayId: string, seq: number, a: Alarm, receivedAt: number): number {
    return this.insertAlarm.run(
      gatewayId,
      seq,
      a.alarmId,
      a.kind,
      a.state,
      a.severity,
      a.ts,
      a.locationId ?? null,
      a.sensorId ?? null,
      a.value ?? null,
      a.message,
      receivedAt,
    ).changes;
  }

  /**
   * Inserts each record under its seq in the batch's epoch space; a record whose number is taken is a
   * duplicate (same content) or a reused number, stored in a fork (sqlite-sequence-reuse.ts). Returns how
   * many were stored; `onInserted` gets each stored seq.
   */
  private insertEach<T extends { seq: number }>(
    stream: Stream,
    gatewayId: string,
    place: EpochPlacement,
    records: readonly T[],
    run: (seq: number, r: T) => number,
    row: (r: T) => Record<string, unknown>,
    receivedAt: number,
    taken: Taken,
    onInserted?: (seq: number) => void,
  ): number {
    let inserted = 0;
    for (const r of records) {
      let seq = r.seq + place.offset;
      if (run(seq, r) === 0) {
        const o = this.reuse.resolve(
          stream,
          gatewayId,
          place.epoch,
          seq,
          place.offset,
          row(r),
          (at) => run(at, r),
          receivedAt,
        );
        if (!taken.add(o)) continue;
        seq = (o as { seq: number }).seq;
      }
      inserted++;
      onInserted?.(seq);
    }
    return inserted;
  }

  /**
   * The thinned ranges the batch declares and its coverage (both moved into the batch's epoch space), in
   * the batch's transaction.
   */
  private finish(
    stream: Stream,
    gatewayId: string,
    batch: { firstSeq: number; lastSeq: number; records: unknown[]; thinned?: SeqSpan[] | undefined },
    receivedAt: number,
    inserted: number,
    place: EpochPlacement,
  ): FastIngestResult {
    const off = place.offset;
    for (const t of batch.thinned ?? [])
      this.mergeThinned(gatewayId, stream, t.from + off, t.to + off, receivedAt);
    this.mergeRange(gatewayId, stream, batch.firstSeq + off, batch.lastSeq + off);
    const result: FastIngestResult = { inserted, duplicates: batch.records.length - inserted };
    if (place.reset) result.sequenceReset = place.reset;
    if (place.adopted) result.epochAdopted = place.adopted;
    return result;
  }

  /**
   * Joins [from, to] with the stored ranges it overlaps or touches. The common case (the batch continues
   * the stream's last range, or repeats it) costs one indexed SELECT and at most one UPDATE.
   */
  private mergeRange(gatewayId: string, stream: Stream, from: number, to: number): void {
    const near = this.nearRanges.all(gatewayId, stream, to + 1, from - 1) as Array<{
      from_seq: number;
      to_seq: number;
    }>;
    if (near.length === 0) {
      this.insertRange.run(gatewayId, stream, from, to);
      return;
    }
    let lo = from;
    let hi = to;
    let keep = near[0]!;
    for (const r of near) {
      if (r.from_seq < lo) lo = r.from_seq;
      if (r.to_seq > hi) hi = r.to_seq;
      if (r.from_seq < keep.from_seq) keep = r;
    }
    for (const r of near) if (r !== keep) this.deleteRange.run(gatewayId, stream, r.from_seq);
    if (keep.from_seq !== lo || keep.to_seq !== hi) {
      this.updateRange.run(lo, hi, gatewayId, stream, keep.from_seq);
    }
  }

  /**
   * A thinned range joined with the stored ones it overlaps or touches (each seq in at most one row; see
   * `mergeThinnedRange` in stream-coverage.ts, the Kysely copy).
   */
  private mergeThinned(gatewayId: string, stream: Stream, from: number, to: number, receivedAt: number) {
    const near = this.nearThinned.all(gatewayId, stream, to + 1, from - 1) as Array<{
      from_seq: number;
      to_seq: number;
      received_at: number;
    }>;
    let lo = from;
    let hi = to;
    let first = receivedAt;
    for (const r of near) {
      if (r.from_seq < lo) lo = r.from_seq;
      if (r.to_seq > hi) hi = r.to_seq;
      if (r.received_at < first) first = r.received_at;
    }
    if (near.length === 1 && near[0]!.from_seq === lo && near[0]!.to_seq === hi) return;
    for (const r of near) this.deleteThinned.run(gatewayId, stream, r.from_seq);
    this.insertThinned.run(gatewayId, stream, lo, hi, first);
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

/** A batch's records stored in forks of their epoch, and the forks it opened. */
class Taken {
  reused = 0;
  readonly reuses: SequenceReuse[] = [];
  /** Counts an outcome; true when the record was stored (in a fork). */
  add(o: ReuseOutcome): boolean {
    if (o.kind === 'duplicate') return false;
    this.reused++;
    if (o.reuse) this.reuses.push(o.reuse);
    return true;
  }
  into(r: FastIngestResult): FastIngestResult {
    if (this.reused > 0) r.reused = this.reused;
    if (this.reuses.length > 0) r.sequenceReuses = this.reuses;
    return r;
  }
}
