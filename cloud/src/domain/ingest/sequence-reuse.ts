import type { Stream } from '@coldtrace/shared';
import type { AuditInput } from '../audit-chain.js';
import { EPOCH_SEQ_SPAN, epochsExhausted, FORK_MARK, MAX_EPOCH_INDEX } from './epochs.js';
import { call, type Plan, type StreamRecord } from './ingest-store.js';
import { contentRow } from './record-rows.js';

/**
 * Sequence reuse (docs/durability.md "Epoch"): a gateway whose `buffer.db` was restored from a backup (or
 * lost its last appends to a power cut under `synchronous=NORMAL`) keeps its epoch and numbers new records
 * with sequence numbers the cloud already stored for other records. Deduplicating on (gateway, seq) alone
 * would discard them silently. So a record whose key is taken is compared with the stored one: the same
 * content is a duplicate (a replay); different content is a *reused* sequence number, and the record is
 * stored in a fork of its epoch: a sequence space of its own, named `<epoch>~<n>`, allocated like an epoch
 * (the next index, audited once as `gateway.sequence_reuse`). A reused record goes to the first fork that
 * holds it already (duplicate) or has its number free, else to a new fork; so replays stay idempotent and
 * nothing is lost, whatever the arrival order. Forks have no coverage of their own: the wire numbers they
 * hold are covered in their epoch.
 */
export const isFork = (epoch: string) => epoch.includes(FORK_MARK);

/** The n-th fork (n from 1) of an epoch; `''` stands for the space of a stream that never named an epoch. */
export const forkName = (base: string, n: number) => `${base}${FORK_MARK}${n}`;

/** A fork of an epoch made for records that reused its sequence numbers. */
export interface SequenceReuse {
  gatewayId: string;
  stream: Stream;
  at: number;
  /** The epoch whose numbers were reused (`''`: a stream that never named one). */
  epoch: string;
  fork: string;
  epochIndex: number;
  /** The first wire seq found reused (the one that opened the fork). */
  firstSeq: number;
}

export function reuseAuditEntry(r: SequenceReuse): AuditInput {
  return {
    actor: 'system',
    action: 'gateway.sequence_reuse',
    entityType: 'gateway',
    entityId: r.gatewayId,
    before: { stream: r.stream, epoch: r.epoch, seq: r.firstSeq },
    after: {
      stream: r.stream,
      fork: r.fork,
      epochIndex: r.epochIndex,
      seqOffset: r.epochIndex * EPOCH_SEQ_SPAN,
    },
    reason:
      `gateway ${r.gatewayId} sent ${r.stream} record ${r.firstSeq} of epoch ${r.epoch || '(none)'} with content ` +
      'different from the record stored under that number: its buffer database was rolled back (restored from ' +
      'a backup, or appends lost to a power cut without synchronous=FULL) and numbers are being reused. The ' +
      `reused records are stored in fork ${r.fork}, so none is discarded; restore no buffer.db from a backup ` +
      '(delete it instead: the gateway then starts a new epoch).',
  };
}

/** Columns that are the record's content (not its key or arrival). */
const NOT_CONTENT = new Set(['gateway_id', 'seq', 'received_at']);

/** Whether a stored row holds the same record as `row` (numbers compared as numbers: PostgreSQL bigint). */
export function sameRecord(stored: Record<string, unknown>, row: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(row)) {
    if (NOT_CONTENT.has(k)) continue;
    const s = stored[k] ?? null;
    const w = v ?? null;
    if (s === w) continue;
    if (s === null || w === null) return false;
    if (typeof w === 'number' ? Number(s) !== w : String(s) !== String(w)) return false;
  }
  return true;
}

/** What became of the records whose stored seq was taken in their epoch's space. */
export interface TakenOutcome {
  /** Stored seqs of the records stored in a fork (a duplicate is not stored). */
  storedSeqs: number[];
  /** The records stored under `storedSeqs`, in the same order. */
  stored: StreamRecord[];
  /** Forks opened, each audited as `gateway.sequence_reuse`. */
  reuses: SequenceReuse[];
}

/**
 * Records whose key (gateway, wire seq + `baseOffset`) was taken in epoch `base`'s space (see above): each
 * is a duplicate when the stored record is the same, else goes to the first fork of the epoch that holds
 * it already (duplicate) or has its number free, else to a new fork.
 */
export function* placeTaken(
  stream: Stream,
  gatewayId: string,
  base: string,
  baseOffset: number,
  records: readonly StreamRecord[],
  receivedAt: number,
): Plan<TakenOutcome> {
  const out: TakenOutcome = { storedSeqs: [], stored: [], reuses: [] };
  let offsets: number[] | undefined;
  for (const record of records) {
    const row = contentRow(stream, record);
    const wireSeq = record.seq;
    const stored = yield* call('storedRecord', stream, gatewayId, wireSeq + baseOffset, record.ts);
    if (stored && sameRecord(stored, row)) continue;
    offsets ??= yield* call('forkOffsets', gatewayId, stream, base);
    let placed = false;
    for (const off of offsets) {
      if (yield* call('insertRecordAt', stream, gatewayId, record, wireSeq + off, receivedAt)) {
        out.storedSeqs.push(wireSeq + off);
        out.stored.push(record);
        placed = true;
        break;
      }
      const there = yield* call('storedRecord', stream, gatewayId, wireSeq + off, record.ts);
      if (there && sameRecord(there, row)) {
        placed = true;
        break;
      }
    }
    if (placed) continue;
    const max = yield* call('maxEpochIndex', gatewayId, stream);
    const epochIndex = max === null ? 1 : max + 1;
    if (epochIndex > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
    const fork = forkName(base, offsets.length + 1);
    const offset = epochIndex * EPOCH_SEQ_SPAN;
    yield* call('insertEpoch', {
      gateway_id: gatewayId,
      stream,
      epoch_index: epochIndex,
      epoch: fork,
      seq_offset: offset,
      first_seen_at: receivedAt,
      prev_epoch: base,
      prev_high_water: null,
    });
    const reuse: SequenceReuse = {
      gatewayId,
      stream,
      at: receivedAt,
      epoch: base,
      fork,
      epochIndex,
      firstSeq: wireSeq,
    };
    yield* call('appendAudit', [reuseAuditEntry(reuse)], receivedAt);
    yield* call('insertRecordAt', stream, gatewayId, record, wireSeq + offset, receivedAt);
    offsets.push(offset);
    out.storedSeqs.push(wireSeq + offset);
    out.stored.push(record);
    out.reuses.push(reuse);
  }
  return out;
}
