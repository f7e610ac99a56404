import type { Alarm, Movement, Reading, Scan, Stream } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import { type AuditInput, GENESIS_HASH, linkAuditEntries } from '../../domain/audit-chain.js';
import { FORK_MARK } from '../../domain/ingest/epochs.js';
import type {
  EpochRow,
  IngestStore,
  NewEpochRow,
  NewMark,
  RangeTable,
  SinkEntry,
  StreamRecord,
} from '../../domain/ingest/ingest-store.js';
import type { SpanChange, SpanRow } from '../../domain/ingest/seq-spans.js';
import type { LocationSensorRow } from '../../domain/location-sensors.js';
import type { ReadingDigestRow } from '../../domain/reading-digests.js';
import type { ReadingRollupRow } from '../../domain/reading-rollups.js';
import { preparedReadingRows } from '../sqlite-reading-rows.js';
import { locationSensorValues, SQLITE_LOCATION_SENSORS_UPSERT } from './location-sensors-upsert.js';
import { rollupValues, SQLITE_ROLLUP_UPSERT } from './rollup-upsert.js';
import { SqliteScanStore } from './sqlite-scan-store.js';

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

/** One record's insert: SQLite's `changes` (0 when its key is taken). */
type InsertOne = (gatewayId: string, storedSeq: number, r: StreamRecord, receivedAt: number) => number;

/**
 * `IngestStore` over better-sqlite3 prepared statements, synchronous, for the group commit of
 * `SqliteIngestBackend` (it runs inside that transaction). `ON CONFLICT (gateway_id, seq) DO NOTHING` makes
 * inserts idempotent (unlike `INSERT OR IGNORE` it does not also swallow NOT NULL violations; `changes`
 * counts only rows really inserted). Positional parameters, no row objects: the insert loop is the cost of
 * ingest. Nothing is cached across calls: a rolled-back group must leave nothing behind in memory.
 */
export class SqliteIngestStore extends SqliteScanStore implements IngestStore {
  private readonly insert: Record<Stream, InsertOne>;
  private readonly stored: Record<Stream, Statement>;
  private readonly byEpoch: Statement;
  private readonly current: Statement;
  private readonly maxIndex: Statement;
  private readonly forks: Statement;
  private readonly highWaterOf: Statement;
  private readonly insertEpochRow: Statement;
  private readonly near: Record<RangeTable, Statement>;
  private readonly del: Record<RangeTable, Statement>;
  private readonly update: Record<RangeTable, Statement>;
  private readonly add: Record<RangeTable, Statement>;
  private readonly sinks: Statement | undefined;
  private readonly outbox: Statement | undefined;
  private readonly mark: Statement;
  private readonly initHead: Statement;
  private readonly readHead: Statement;
  private readonly insertAudit: Statement;
  private readonly updateHead: Statement;
  private readonly lastDigest: Statement;
  private readonly insertDigest: Statement;
  private readonly upsertRollup: Statement;
  private readonly upsertLocationSensor: Statement;
  /** Makes the dictionary keys of a gateway's readings (0043) before their rows are inserted. */
  private readonly ensureKeys: (gatewayId: string, records: readonly StreamRecord[]) => void;
  /** Whether movement inserts of the current call check `scans` for the key (see the constructor). */
  private guardMovements = true;

  constructor(sqlite: SqliteDatabase.Database) {
    super(sqlite);
    // Compact rows behind the view `readings` (0043); a schema from before it has the table.
    const compact = preparedReadingRows(sqlite);
    const reading = compact
      ? undefined
      : sqlite.prepare(
          `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
        );
    this.ensureKeys = (gw, records) => compact?.ensureKeys(gw, records as readonly Reading[]);
    const movement = sqlite.prepare(
      `INSERT INTO movements (gateway_id, seq, epc, portal_id, kind, from_location, to_location,
         direction, ts, first_seen, last_seen, reads, peak_rssi, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    // A key a scan holds (`scans`, 0023) is taken for any movement too: one sequence per stream. Checked
    // only for a gateway that has scans (`guardMovements`): the check makes an insert about 1.5× as slow.
    const guarded = sqlite.prepare(
      `INSERT INTO movements (gateway_id, seq, epc, portal_id, kind, from_location, to_location,
         direction, ts, first_seen, last_seen, reads, peak_rssi, received_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE NOT EXISTS (SELECT 1 FROM scans WHERE gateway_id = ? AND seq = ?)
       ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    const alarm = sqlite.prepare(
      `INSERT INTO alarms (gateway_id, seq, alarm_id, kind, state, severity, ts, location_id,
         sensor_id, value, message, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id, seq) DO NOTHING`,
    );
    this.insert = {
      readings: (gw, seq, rec, at) => {
        const r = rec as Reading;
        if (compact) return compact.insert(gw, seq, r, at);
        return reading!.run(gw, seq, r.sensorId, r.locationId, r.ts, r.tempC, r.rh ?? null, r.quality, at)
          .changes;
      },
      movements: (gw, seq, rec, at) => {
        if ((rec as Scan).kind === 'scan') return this.insertScan(gw, seq, rec as Scan, at);
        const m = rec as Movement;
        const values = [
          gw,
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
          at,
        ] as const;
        return this.guardMovements
          ? guarded.run(...values, gw, seq).changes
          : movement.run(...values).changes;
      },
      alarms: (gw, seq, rec, at) => {
        const a = rec as Alarm;
        return alarm.run(
          gw,
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
          at,
        ).changes;
      },
    };
    const byKey = (t: Stream) => sqlite.prepare(`SELECT * FROM ${t} WHERE gateway_id = ? AND seq = ?`);
    this.stored = { readings: byKey('readings'), movements: byKey('movements'), alarms: byKey('alarms') };
    this.byEpoch = sqlite.prepare(
      'SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ? AND epoch = ?',
    );
    this.current = sqlite.prepare(
      `SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ?
         AND instr(epoch, '${FORK_MARK}') = 0
       ORDER BY epoch_index DESC LIMIT 1`,
    );
    this.maxIndex = sqlite
      .prepare('SELECT MAX(epoch_index) FROM stream_epochs WHERE gateway_id = ? AND stream = ?')
      .pluck();
    this.forks = sqlite
      .prepare(
        `SELECT seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ? AND epoch LIKE ?
         ORDER BY epoch_index`,
      )
      .pluck();
    this.highWaterOf = sqlite
      .prepare(
        `SELECT MAX(to_seq) FROM stream_ranges
         WHERE gateway_id = ? AND stream = ? AND from_seq >= ? AND from_seq < ?`,
      )
      .pluck();
    this.insertEpochRow = sqlite.prepare(
      `INSERT INTO stream_epochs (gateway_id, stream, epoch_index, epoch, seq_offset, first_seen_at,
         prev_epoch, prev_high_water) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const ranges = (table: RangeTable, cols: string) => ({
      near: sqlite.prepare(
        `SELECT ${cols} FROM ${table} WHERE gateway_id = ? AND stream = ? AND from_seq <= ? AND to_seq >= ?`,
      ),
      del: sqlite.prepare(`DELETE FROM ${table} WHERE gateway_id = ? AND stream = ? AND from_seq = ?`),
    });
    const sr = ranges('stream_ranges', 'from_seq, to_seq');
    const tr = ranges('thinned_ranges', 'from_seq, to_seq, received_at');
    this.near = { stream_ranges: sr.near, thinned_ranges: tr.near };
    this.del = { stream_ranges: sr.del, thinned_ranges: tr.del };
    this.update = {
      stream_ranges: sqlite.prepare(
        `UPDATE stream_ranges SET from_seq = ?, to_seq = ? WHERE gateway_id = ? AND stream = ? AND from_seq = ?`,
      ),
      thinned_ranges: sqlite.prepare(
        `UPDATE thinned_ranges SET from_seq = ?, to_seq = ?, received_at = ?
         WHERE gateway_id = ? AND stream = ? AND from_seq = ?`,
      ),
    };
    this.add = {
      stream_ranges: sqlite.prepare(
        'INSERT INTO stream_ranges (gateway_id, stream, from_seq, to_seq) VALUES (?, ?, ?, ?)',
      ),
      thinned_ranges: sqlite.prepare(
        `INSERT INTO thinned_ranges (gateway_id, stream, from_seq, to_seq, received_at) VALUES (?, ?, ?, ?, ?)`,
      ),
    };
    // A schema from before 0003 has no sink outbox.
    const outbox = sqlite
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sink_outbox'")
      .get();
    if (outbox) {
      this.sinks = sqlite.prepare('SELECT name FROM sink_state WHERE enabled = 1 ORDER BY name').pluck();
      this.outbox = sqlite.prepare('INSERT INTO sink_outbox (sink, gateway_id, seq, ts) VALUES (?, ?, ?, ?)');
    }
    this.mark = sqlite.prepare(
      `INSERT INTO evaluation_marks (kind, subject, from_ts, to_ts, cause, created_at)
       VALUES (?, ?, ?, ?, NULL, ?)`,
    );
    this.initHead = sqlite.prepare(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.readHead = sqlite.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.insertAudit = sqlite.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, after_json,
         reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateHead = sqlite.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
    this.lastDigest = sqlite.prepare(
      'SELECT batch_index, chain FROM reading_digests WHERE gateway_id = ? ORDER BY batch_index DESC LIMIT 1',
    );
    this.insertDigest = sqlite.prepare(
      `INSERT INTO reading_digests (gateway_id, batch_index, from_seq, to_seq, seqs, count, digest, chain,
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertRollup = sqlite.prepare(SQLITE_ROLLUP_UPSERT);
    this.upsertLocationSensor = sqlite.prepare(SQLITE_LOCATION_SENSORS_UPSERT);
  }

  epochNamed(gatewayId: string, stream: Stream, epoch: string): EpochRow | undefined {
    return this.byEpoch.get(gatewayId, stream, epoch) as EpochRow | undefined;
  }

  currentEpoch(gatewayId: string, stream: Stream): EpochRow | undefined {
    return this.current.get(gatewayId, stream) as EpochRow | undefined;
  }

  maxEpochIndex(gatewayId: string, stream: Stream): number | null {
    return this.maxIndex.get(gatewayId, stream) as number | null;
  }

  forkOffsets(gatewayId: string, stream: Stream, base: string): number[] {
    return this.forks.all(gatewayId, stream, `${base}${FORK_MARK}%`) as number[];
  }

  highWater(gatewayId: string, stream: Stream, fromSeq: number, toSeq: number): number | null {
    return this.highWaterOf.get(gatewayId, stream, fromSeq, toSeq) as number | null;
  }

  insertEpoch(e: NewEpochRow): void {
    this.insertEpochRow.run(
      e.gateway_id,
      e.stream,
      e.epoch_index,
      e.epoch,
      e.seq_offset,
      e.first_seen_at,
      e.prev_epoch,
      e.prev_high_water,
    );
  }

  /** Links entries onto the chain in the running transaction (SQLite serialises writers: the head holds). */
  appendAudit(entries: AuditInput[], at: number): void {
    this.initHead.run(GENESIS_HASH);
    const head = this.readHead.get() as { seq: number; hash: string };
    for (const r of linkAuditEntries(head, entries, at)) {
      this.insertAudit.run(
        r.seq,
        r.at,
        r.actor,
        r.action,
        r.entity_type,
        r.entity_id,
        r.before_json,
        r.after_json,
        r.reason,
        r.prev_hash,
        r.hash,
      );
      this.updateHead.run(r.seq, r.hash);
    }
  }

  insertRecords(
    stream: Stream,
    gatewayId: string,
    records: readonly StreamRecord[],
    offset: number,
    receivedAt: number,
  ): number[] {
    const insert = this.insert[stream];
    if (stream === 'movements') {
      this.guardMovements =
        records.some((r) => (r as Scan).kind === 'scan') ||
        this.st('SELECT 1 FROM scans WHERE gateway_id = ? LIMIT 1').get(gatewayId) !== undefined;
    }
    if (stream === 'readings') this.ensureKeys(gatewayId, records);
    const taken: number[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (insert(gatewayId, r.seq + offset, r, receivedAt) === 0) taken.push(i);
    }
    return taken;
  }

  insertRecordAt(
    stream: Stream,
    gatewayId: string,
    record: StreamRecord,
    storedSeq: number,
    receivedAt: number,
  ): boolean {
    if (stream === 'movements') this.guardMovements = true;
    if (stream === 'readings') this.ensureKeys(gatewayId, [record]);
    return this.insert[stream](gatewayId, storedSeq, record, receivedAt) > 0;
  }

  storedRecord(stream: Stream, gatewayId: string, storedSeq: number): Record<string, unknown> | undefined {
    // A movements key holds a scan (`scans`; a serialised one also has its custody row in `movements`) or
    // another movement: the scan is the record.
    const scan =
      stream === 'movements'
        ? this.st('SELECT * FROM scans WHERE gateway_id = ? AND seq = ?').get(gatewayId, storedSeq)
        : undefined;
    return (scan ?? this.stored[stream].get(gatewayId, storedSeq)) as Record<string, unknown> | undefined;
  }

  rangesNear(table: RangeTable, gatewayId: string, stream: Stream, from: number, to: number): SpanRow[] {
    return this.near[table].all(gatewayId, stream, to + 1, from - 1) as SpanRow[];
  }

  applySpanChange(table: RangeTable, gatewayId: string, stream: Stream, c: SpanChange): void {
    for (const from of c.remove) this.del[table].run(gatewayId, stream, from);
    const t = table === 'thinned_ranges' ? [c.row.received_at] : [];
    if (c.keep === undefined) this.add[table].run(gatewayId, stream, c.row.from_seq, c.row.to_seq, ...t);
    else this.update[table].run(c.row.from_seq, c.row.to_seq, ...t, gatewayId, stream, c.keep);
  }

  enabledSinks(): string[] {
    return (this.sinks?.all() ?? []) as string[];
  }

  enqueueSinks(sinks: readonly string[], gatewayId: string, stored: readonly SinkEntry[]): void {
    for (const r of stored) for (const sink of sinks) this.outbox!.run(sink, gatewayId, r.seq, r.ts);
  }

  insertMarks(marks: readonly NewMark[]): number[] {
    return marks.map((m) =>
      Number(this.mark.run(m.kind, m.subject, m.from_ts, m.to_ts, m.created_at).lastInsertRowid),
    );
  }

  lastReadingDigest(gatewayId: string): { batch_index: number; chain: string } | undefined {
    return this.lastDigest.get(gatewayId) as { batch_index: number; chain: string } | undefined;
  }

  insertReadingDigest(r: ReadingDigestRow): void {
    this.insertDigest.run(
      r.gateway_id,
      r.batch_index,
      r.from_seq,
      r.to_seq,
      r.seqs,
      r.count,
      r.digest,
      r.chain,
      r.created_at,
    );
  }

  addRollups(rows: readonly ReadingRollupRow[]): void {
    for (const r of rows) this.upsertRollup.run(...rollupValues(r));
  }

  widenLocationSensors(rows: readonly LocationSensorRow[]): void {
    for (const r of rows) this.upsertLocationSensor.run(...locationSensorValues(r));
  }
}
