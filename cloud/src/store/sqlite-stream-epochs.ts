import type { Stream } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import { SqliteAuditAppend } from './sqlite-audit-append.js';
import {
  EPOCH_SEQ_SPAN,
  type EpochPlacement,
  epochsExhausted,
  FORK_MARK,
  MAX_EPOCH_INDEX,
  resetAuditEntry,
  type SequenceReset,
} from './stream-epochs.js';

type Statement = SqliteDatabase.Statement<unknown[], unknown>;

interface EpochRow {
  epoch: string;
  epoch_index: number;
  seq_offset: number;
}

/**
 * The SQLite fast path's copy of `placeBatchEpoch` (stream-epochs.ts): prepared statements run inside the
 * group commit's transaction, so the epoch row, the reset's audit entry and the batch's records commit
 * together (or roll back together and are redone when the batch is retried alone). Nothing is cached: a
 * rolled-back group must not leave an epoch behind in memory. One indexed lookup per batch.
 */
export class SqliteStreamEpochs {
  private readonly byEpoch: Statement;
  private readonly current: Statement;
  private readonly highWater: Statement;
  private readonly insertEpoch: Statement;
  private readonly maxIndex: Statement;
  private readonly audit: SqliteAuditAppend;

  constructor(sqlite: SqliteDatabase.Database) {
    this.byEpoch = sqlite.prepare(
      'SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ? AND epoch = ?',
    );
    this.current = sqlite.prepare(
      `SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ?
         AND instr(epoch, '${FORK_MARK}') = 0
       ORDER BY epoch_index DESC LIMIT 1`,
    );
    this.highWater = sqlite
      .prepare(
        `SELECT MAX(to_seq) FROM stream_ranges
         WHERE gateway_id = ? AND stream = ? AND from_seq >= ? AND from_seq < ?`,
      )
      .pluck();
    this.insertEpoch = sqlite.prepare(
      `INSERT INTO stream_epochs (gateway_id, stream, epoch_index, epoch, seq_offset, first_seen_at,
         prev_epoch, prev_high_water) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.maxIndex = sqlite
      .prepare('SELECT MAX(epoch_index) FROM stream_epochs WHERE gateway_id = ? AND stream = ?')
      .pluck();
    this.audit = new SqliteAuditAppend(sqlite);
  }

  /** Where this batch's records go (see `placeBatchEpoch`); call inside the batch's transaction. */
  place(gatewayId: string, stream: Stream, epoch: string | undefined, receivedAt: number): EpochPlacement {
    if (epoch !== undefined) {
      const known = this.byEpoch.get(gatewayId, stream, epoch) as EpochRow | undefined;
      if (known) return { offset: known.seq_offset, epoch };
    }
    // The current epoch is the newest one the gateway named; forks (sequence-reuse.ts) take indexes too.
    const current = this.current.get(gatewayId, stream) as EpochRow | undefined;
    if (epoch === undefined) return { offset: current ? current.seq_offset : 0, epoch: current?.epoch ?? '' };
    const index = current ? (this.maxIndex.get(gatewayId, stream) as number) + 1 : 0;
    if (index > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
    const offset = index * EPOCH_SEQ_SPAN;
    if (!current) {
      this.insertEpoch.run(gatewayId, stream, index, epoch, offset, receivedAt, null, null);
      return { offset, epoch, adopted: epoch };
    }
    const hw = this.highWater.get(
      gatewayId,
      stream,
      current.seq_offset,
      current.seq_offset + EPOCH_SEQ_SPAN,
    ) as number | null;
    const previousHighWater = hw === null ? 0 : hw - current.seq_offset;
    this.insertEpoch.run(
      gatewayId,
      stream,
      index,
      epoch,
      offset,
      receivedAt,
      current.epoch,
      previousHighWater,
    );
    const reset: SequenceReset = {
      gatewayId,
      stream,
      at: receivedAt,
      fromEpoch: current.epoch,
      toEpoch: epoch,
      epochIndex: index,
      previousHighWater,
    };
    this.audit.append([resetAuditEntry(reset)], reset.at);
    return { offset, epoch, reset };
  }
}
