import type { Stream } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import { forkName, reuseAuditEntry, type SequenceReuse, sameRecord } from './sequence-reuse.js';
import { SqliteAuditAppend } from './sqlite-audit-append.js';
import { EPOCH_SEQ_SPAN, epochsExhausted, FORK_MARK, MAX_EPOCH_INDEX } from './stream-epochs.js';

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

/** What became of a record whose number was taken in its epoch's space. */
export type ReuseOutcome = { kind: 'duplicate' } | { kind: 'inserted'; seq: number; reuse?: SequenceReuse };

/**
 * The SQLite fast path's copy of `placeReusedRows` (sequence-reuse.ts): synchronous, inside the group
 * commit's transaction, called only for a record whose (gateway, seq) was already stored. Costs nothing
 * on the path of new records.
 */
export class SqliteSequenceReuse {
  private readonly stored: Record<Stream, Statement>;
  private readonly forks: Statement;
  private readonly maxIndex: Statement;
  private readonly insertEpoch: Statement;
  private readonly audit: SqliteAuditAppend;

  constructor(sqlite: SqliteDatabase.Database) {
    const byKey = (t: Stream) => sqlite.prepare(`SELECT * FROM ${t} WHERE gateway_id = ? AND seq = ?`);
    this.stored = { readings: byKey('readings'), movements: byKey('movements'), alarms: byKey('alarms') };
    this.forks = sqlite
      .prepare(
        `SELECT seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ? AND epoch LIKE ?
         ORDER BY epoch_index`,
      )
      .pluck();
    this.maxIndex = sqlite
      .prepare('SELECT MAX(epoch_index) FROM stream_epochs WHERE gateway_id = ? AND stream = ?')
      .pluck();
    this.insertEpoch = sqlite.prepare(
      `INSERT INTO stream_epochs (gateway_id, stream, epoch_index, epoch, seq_offset, first_seen_at,
         prev_epoch, prev_high_water) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    );
    this.audit = new SqliteAuditAppend(sqlite);
  }

  /**
   * A record whose stored seq `seq` (in space `baseOffset` of epoch `base`) was taken: a duplicate if the
   * stored record is the same, else placed in a fork. `row` is the record as its table's columns;
   * `insertAt(storedSeq)` inserts it under another stored seq and returns SQLite's `changes`.
   */
  resolve(
    stream: Stream,
    gatewayId: string,
    base: string,
    seq: number,
    baseOffset: number,
    row: Record<string, unknown>,
    insertAt: (storedSeq: number) => number,
    receivedAt: number,
  ): ReuseOutcome {
    const at = (storedSeq: number) =>
      this.stored[stream].get(gatewayId, storedSeq) as Record<string, unknown>;
    if (sameRecord(at(seq), row)) return { kind: 'duplicate' };
    const wireSeq = seq - baseOffset;
    const offsets = this.forks.all(gatewayId, stream, `${base}${FORK_MARK}%`) as number[];
    for (const off of offsets) {
      if (insertAt(wireSeq + off) > 0) return { kind: 'inserted', seq: wireSeq + off };
      if (sameRecord(at(wireSeq + off), row)) return { kind: 'duplicate' };
    }
    const max = this.maxIndex.get(gatewayId, stream) as number | null;
    const epochIndex = max === null ? 1 : max + 1;
    if (epochIndex > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
    const fork = forkName(base, offsets.length + 1);
    const offset = epochIndex * EPOCH_SEQ_SPAN;
    this.insertEpoch.run(gatewayId, stream, epochIndex, fork, offset, receivedAt, base);
    const reuse: SequenceReuse = {
      gatewayId,
      stream,
      at: receivedAt,
      epoch: base,
      fork,
      epochIndex,
      firstSeq: wireSeq,
    };
    this.audit.append([reuseAuditEntry(reuse)], receivedAt);
    insertAt(wireSeq + offset);
    return { kind: 'inserted', seq: wireSeq + offset, reuse };
  }
}
