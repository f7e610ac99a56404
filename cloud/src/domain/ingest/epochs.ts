import { ColdtraceError, type Stream } from '@coldtrace/shared';
import type { AuditInput } from '../audit-chain.js';
import { call, type Plan } from './ingest-store.js';
import type { SeqSpan } from './seq-spans.js';

/**
 * Edge buffer epochs (docs/durability.md "Epoch"). Sequence numbers are unique per (gateway, stream,
 * epoch); the cloud keys records on (gateway, seq) per stream table, so each epoch gets its own stored
 * sequence space: the k-th epoch seen for a gateway stream (k from 0) stores wire seq s as k × 2^40 + s.
 * 2^40 per epoch (not 2^32: a gateway recording 160 records/s would pass 2^32 within a year) leaves
 * 8192 epochs below 2^53, the largest integer a JS number holds exactly.
 */
export const EPOCH_SEQ_SPAN = 2 ** 40;
/** Largest wire seq an epoch's space holds; a batch above it is refused (dead letter `seq_out_of_range`). */
export const MAX_EPOCH_SEQ = EPOCH_SEQ_SPAN - 1;
/** Largest epoch index: MAX_EPOCH_INDEX × 2^40 + MAX_EPOCH_SEQ = 2^53 − 1. */
export const MAX_EPOCH_INDEX = 2 ** 13 - 1;
/** Separates an epoch from its fork number: `<epoch>~<n>` holds records that reused its numbers (sequence-reuse.ts). */
export const FORK_MARK = '~';

/** A gateway stream that started again under a new buffer epoch while another epoch was current. */
export interface SequenceReset {
  gatewayId: string;
  stream: Stream;
  /** When the cloud received the first batch of the new epoch. */
  at: number;
  fromEpoch: string;
  toEpoch: string;
  /** Index of the new epoch (its records are stored with seq + epochIndex × 2^40). */
  epochIndex: number;
  /** The replaced epoch's high water (wire seq) when the reset arrived. */
  previousHighWater: number;
}

/** Where a batch's records go: the offset added to its seqs, and what its epoch changed, if anything. */
export interface EpochPlacement {
  offset: number;
  /** The epoch whose space it is (`''`: a stream that never named one); forks of it take reused numbers. */
  epoch: string;
  /** The stream's first epoch, adopted with offset 0 by this batch (quiet: an upgraded gateway continues). */
  adopted?: string;
  /** This batch started a new epoch after another one: a sequence reset, audited in the same transaction. */
  reset?: SequenceReset;
}

/** The audit entry of a sequence reset (actor `system`): what the cloud can and cannot know about the loss. */
export function resetAuditEntry(r: SequenceReset): AuditInput {
  return {
    actor: 'system',
    action: 'gateway.sequence_reset',
    entityType: 'gateway',
    entityId: r.gatewayId,
    before: {
      stream: r.stream,
      epoch: r.fromEpoch,
      epochIndex: r.epochIndex - 1,
      highWater: r.previousHighWater,
    },
    after: {
      stream: r.stream,
      epoch: r.toEpoch,
      epochIndex: r.epochIndex,
      seqOffset: r.epochIndex * EPOCH_SEQ_SPAN,
    },
    reason:
      `gateway ${r.gatewayId} restarted its ${r.stream} sequence under buffer epoch ${r.toEpoch} ` +
      `(previous epoch ${r.fromEpoch}, high water ${r.previousHighWater}): its buffer database was lost or ` +
      `replaced. Records of epoch ${r.fromEpoch} the gateway had not yet had acknowledged (above the high ` +
      'water, or in its data gaps) cannot be known to the cloud and may be lost. Records of the new epoch ' +
      'are stored in their own sequence space; late records of the old epoch still go to its space.',
  };
}

/** The error a batch gets when its gateway stream has used every epoch index. */
export function epochsExhausted(gatewayId: string, stream: Stream): ColdtraceError {
  return new ColdtraceError(
    'epochs_exhausted',
    `gateway ${gatewayId} ${stream}: more than ${MAX_EPOCH_INDEX + 1} buffer epochs; no sequence space left`,
  );
}

/** A batch's coverage moved into its epoch's stored sequence space. */
export function offsetCoverage<
  B extends { firstSeq: number; lastSeq: number; thinned?: readonly SeqSpan[] | undefined },
>(batch: B, offset: number): { firstSeq: number; lastSeq: number; thinned: SeqSpan[] } {
  return {
    firstSeq: batch.firstSeq + offset,
    lastSeq: batch.lastSeq + offset,
    thinned: (batch.thinned ?? []).map((t) => ({ from: t.from + offset, to: t.to + offset })),
  };
}

/**
 * Places a batch in its epoch's sequence space, inside the ingest transaction. A batch without `epoch`
 * (gateways before the field) belongs to the current epoch (offset 0 if none). An unknown epoch gets
 * index 0 if the stream has none yet (adopted, offset 0, even over legacy data: an upgraded gateway keeps
 * its sequence), else the next index, which is a sequence reset, audited in the same transaction.
 */
export function* placeEpoch(
  gatewayId: string,
  stream: Stream,
  epoch: string | undefined,
  receivedAt: number,
): Plan<EpochPlacement> {
  if (epoch !== undefined) {
    const known = yield* call('epochNamed', gatewayId, stream, epoch);
    if (known) return { offset: known.seq_offset, epoch };
  }
  // The current epoch is the newest one the gateway named; forks (sequence-reuse.ts) take indexes too.
  const current = yield* call('currentEpoch', gatewayId, stream);
  if (epoch === undefined) return { offset: current?.seq_offset ?? 0, epoch: current?.epoch ?? '' };
  const index = current ? (yield* call('maxEpochIndex', gatewayId, stream))! + 1 : 0;
  if (index > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
  const offset = index * EPOCH_SEQ_SPAN;
  const row = { gateway_id: gatewayId, stream, epoch_index: index, epoch, seq_offset: offset };
  if (!current) {
    yield* call('insertEpoch', {
      ...row,
      first_seen_at: receivedAt,
      prev_epoch: null,
      prev_high_water: null,
    });
    return { offset, epoch, adopted: epoch };
  }
  const off = current.seq_offset;
  const hw = yield* call('highWater', gatewayId, stream, off, off + EPOCH_SEQ_SPAN);
  const previousHighWater = hw === null ? 0 : hw - off;
  yield* call('insertEpoch', {
    ...row,
    first_seen_at: receivedAt,
    prev_epoch: current.epoch,
    prev_high_water: previousHighWater,
  });
  const reset: SequenceReset = {
    gatewayId,
    stream,
    at: receivedAt,
    fromEpoch: current.epoch,
    toEpoch: epoch,
    epochIndex: index,
    previousHighWater,
  };
  yield* call('appendAudit', [resetAuditEntry(reset)], receivedAt);
  return { offset, epoch, reset };
}
