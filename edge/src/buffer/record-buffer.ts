import type { Alarm, Backlog, MovementRecord, Reading, SeqRange, Stream } from '@coldtrace/shared';

/** The three record streams a gateway buffers and publishes (= shared `Stream`). */
export type StreamName = Stream;
export type RecordOf<S extends StreamName> = S extends 'readings'
  ? Reading
  : S extends 'movements'
    ? MovementRecord
    : Alarm;
/** A record before its sequence number (per kind of a union: a movement or a scan). */
export type NewRecordOf<S extends StreamName> =
  RecordOf<S> extends infer R ? (R extends unknown ? Omit<R, 'seq'> : never) : never;

export interface AppendOptions<S extends StreamName = StreamName> {
  /**
   * Records for which this returns true are never thinned (out-of-range / alarm-relevant readings).
   * Readings whose `quality` is not `ok`, movements and alarms are never thinned anyway.
   */
  keep?: (record: NewRecordOf<S>) => boolean;
}

export interface PeekOptions {
  /** Start after this sequence number (the last one already in flight); default: the oldest unacked. */
  afterSeq?: number;
  /** Most records in the span (thinned ranges are bounded by the same number). */
  limit: number;
  /** Most stored payload bytes in the span; at least one record is always returned. */
  maxBytes?: number;
}

/**
 * The oldest contiguous span after `afterSeq`: `records` ∪ `thinned` cover `firstSeq..lastSeq` exactly
 * once (the batch rule of shared/src/batch.ts), in sequence order.
 */
export interface PeekResult<S extends StreamName> {
  records: RecordOf<S>[];
  thinned: SeqRange[];
  firstSeq: number;
  lastSeq: number;
}

/**
 * The span of `PeekResult` with each record as its stored wire JSON text (seq included, checked
 * against the contract by `append`), for a publisher that sends the text without parsing it.
 */
export interface PeekJsonResult {
  records: string[];
  thinned: SeqRange[];
  firstSeq: number;
  lastSeq: number;
}

/**
 * Events a buffer emits so the gateway controller raises `buffer_high` / `buffer_full` alarms.
 * `high` fires when the buffer reaches `highRatio` of maxBytes, `normal` when it drops below
 * `lowRatio` again (hysteresis), `full` when an append was refused, `thinned` after thinning.
 */
export type BufferEvent =
  | { type: 'high'; bytes: number; maxBytes: number; ratio: number }
  | { type: 'normal'; bytes: number; maxBytes: number; ratio: number }
  | {
      type: 'full';
      stream: StreamName;
      refusedRecords: number;
      refusedTotal: number;
      bytes: number;
      maxBytes: number;
    }
  | { type: 'thinned'; count: number; ranges: number; bytes: number; maxBytes: number };

/**
 * A durable, ordered, per-stream store-and-forward queue (docs/architecture.md "Buffer"). Records are
 * persisted before `append` returns and deleted only by `ack` (after the broker's PUBACK).
 */
export interface RecordBuffer {
  /**
   * Persists `records` in one transaction and assigns their sequence numbers (per stream, +1, never
   * reused within the epoch). Alarms may use the reserve kept for them; the buffer's own alarms
   * (buffer_high, buffer_full) only half of it. Throws `ColdtraceError('invalid_record')` for a record that violates the wire contract
   * (nothing is stored) and `ColdtraceError('buffer_full')` when even thinning cannot make room (the
   * records are counted as refused and a `full` event is emitted).
   */
  append<S extends StreamName>(stream: S, records: NewRecordOf<S>[], opts?: AppendOptions<S>): RecordOf<S>[];
  peek<S extends StreamName>(stream: S, opts: PeekOptions): PeekResult<S> | null;
  /** The same span as `peek`, records as their stored JSON text (no objects are built). */
  peekJson(stream: StreamName, opts: PeekOptions): PeekJsonResult | null;
  /** Deletes the records ≤ upToSeq of `stream` and the thinned ranges below it. */
  ack(stream: StreamName, upToSeq: number): void;
  /** Last sequence number assigned in `stream` (0 before the first record). */
  lastSeq(stream: StreamName): number;
  /**
   * Random id made once with the buffer's storage: sequence numbers are unique within an epoch only.
   * A lost or replaced buffer starts a new epoch at sequence 1 (sent with every batch).
   */
  readonly epoch: string;
  /** The state of the last alarm with this id ever appended (kept after its ack), if any. */
  alarmState(alarmId: string): { state: 'raised' | 'cleared'; ts: number } | undefined;
  stats(): Backlog;
  close(): void;
}
