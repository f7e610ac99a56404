import type { Stream } from '@coldtrace/shared';
import type SqliteDatabase from 'better-sqlite3';
import { GENESIS_HASH, linkAuditEntries } from '../domain/audit-chain.js';
import {
  EPOCH_SEQ_SPAN,
  type EpochPlacement,
  epochsExhausted,
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
  private readonly initHead: Statement;
  private readonly readHead: Statement;
  private readonly insertAudit: Statement;
  private readonly updateHead: Statement;

  constructor(sqlite: SqliteDatabase.Database) {
    this.byEpoch = sqlite.prepare(
      'SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ? AND epoch = ?',
    );
    this.current = sqlite.prepare(
      `SELECT epoch, epoch_index, seq_offset FROM stream_epochs WHERE gateway_id = ? AND stream = ?
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
    this.initHead = sqlite.prepare(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.readHead = sqlite.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.insertAudit = sqlite.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, after_json,
         reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateHead = sqlite.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
  }

  /** Where this batch's records go (see `placeBatchEpoch`); call inside the batch's transaction. */
  place(gatewayId: string, stream: Stream, epoch: string | undefined, receivedAt: number): EpochPlacement {
    if (epoch !== undefined) {
      const known = this.byEpoch.get(gatewayId, stream, epoch) as EpochRow | undefined;
      if (known) return { offset: known.seq_offset };
    }
    const current = this.current.get(gatewayId, stream) as EpochRow | undefined;
    if (epoch === undefined) return { offset: current ? current.seq_offset : 0 };
    const index = current ? current.epoch_index + 1 : 0;
    if (index > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
    const offset = index * EPOCH_SEQ_SPAN;
    if (!current) {
      this.insertEpoch.run(gatewayId, stream, index, epoch, offset, receivedAt, null, null);
      return { offset, adopted: epoch };
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
    this.audit(reset);
    return { offset, reset };
  }

  /** `appendAudit` for one entry, synchronously in the running transaction (SQLite serialises writers). */
  private audit(reset: SequenceReset): void {
    this.initHead.run(GENESIS_HASH);
    const head = this.readHead.get() as { seq: number; hash: string };
    for (const r of linkAuditEntries(head, [resetAuditEntry(reset)], reset.at)) {
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
}
