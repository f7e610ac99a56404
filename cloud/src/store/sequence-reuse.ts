import type { Stream } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import { type AuditInput, appendAudit } from '../domain/audit-chain.js';
import type { Database, DomainDatabase } from './schema.js';
import { EPOCH_SEQ_SPAN, epochsExhausted, FORK_MARK, MAX_EPOCH_INDEX } from './stream-epochs.js';

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

type Row = Record<string, unknown> & { seq: number };

/**
 * Kysely path: places rows whose (gateway, seq + baseOffset) was taken by a different record (see above).
 * `rows` carry their base-space seq; returns how many were inserted and the forks opened.
 */
export async function placeReusedRows(
  trx: Transaction<Database>,
  table: Stream,
  gatewayId: string,
  base: string,
  rows: readonly Row[],
  baseOffset: number,
  receivedAt: number,
): Promise<{ inserted: number; reuses: SequenceReuse[] }> {
  const forks = await trx
    .selectFrom('stream_epochs')
    .select(['epoch', 'seq_offset'])
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', table)
    .where('epoch', 'like', `${base}${FORK_MARK}%`)
    .orderBy('epoch_index')
    .execute();
  const offsets = forks.map((f) => Number(f.seq_offset));
  // The records stored under the taken numbers: the same content is a replay (a plain duplicate).
  const storedBase = new Map<number, Record<string, unknown>>();
  for (let i = 0; i < rows.length; i += 500) {
    const found = await trx
      .selectFrom(table)
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where(
        'seq',
        'in',
        rows.slice(i, i + 500).map((r) => r.seq),
      )
      .execute();
    for (const f of found) storedBase.set(Number(f.seq), f as Record<string, unknown>);
  }
  const reuses: SequenceReuse[] = [];
  let inserted = 0;
  for (const row of rows) {
    const base0 = storedBase.get(row.seq);
    if (base0 && sameRecord(base0, row)) continue;
    const wireSeq = row.seq - baseOffset;
    let placed = false;
    for (const off of offsets) {
      const res = await trx
        .insertInto(table)
        .values({ ...row, seq: wireSeq + off } as never)
        .onConflict((oc) => oc.columns(['gateway_id', 'seq'] as never).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) {
        inserted++;
        placed = true;
        break;
      }
      const stored = await trx
        .selectFrom(table)
        .selectAll()
        .where('gateway_id', '=', gatewayId)
        .where('seq', '=', wireSeq + off)
        .executeTakeFirstOrThrow();
      if (sameRecord(stored as Record<string, unknown>, row)) {
        placed = true;
        break;
      }
    }
    if (placed) continue;
    const reuse = await openFork(trx, table, gatewayId, base, offsets.length + 1, wireSeq, receivedAt);
    offsets.push(reuse.epochIndex * EPOCH_SEQ_SPAN);
    reuses.push(reuse);
    await trx
      .insertInto(table)
      .values({ ...row, seq: wireSeq + offsets.at(-1)! } as never)
      .execute();
    inserted++;
  }
  return { inserted, reuses };
}

async function openFork(
  trx: Transaction<Database>,
  stream: Stream,
  gatewayId: string,
  base: string,
  n: number,
  wireSeq: number,
  receivedAt: number,
): Promise<SequenceReuse> {
  const max = await trx
    .selectFrom('stream_epochs')
    .select((eb) => eb.fn.max('epoch_index').as('m'))
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', stream)
    .executeTakeFirst();
  const epochIndex = max?.m == null ? 1 : Number(max.m) + 1;
  if (epochIndex > MAX_EPOCH_INDEX) throw epochsExhausted(gatewayId, stream);
  const fork = forkName(base, n);
  await trx
    .insertInto('stream_epochs')
    .values({
      gateway_id: gatewayId,
      stream,
      epoch_index: epochIndex,
      epoch: fork,
      seq_offset: epochIndex * EPOCH_SEQ_SPAN,
      first_seen_at: receivedAt,
      prev_epoch: base,
      prev_high_water: null,
    })
    .execute();
  const reuse: SequenceReuse = {
    gatewayId,
    stream,
    at: receivedAt,
    epoch: base,
    fork,
    epochIndex,
    firstSeq: wireSeq,
  };
  await appendAudit(trx as unknown as Transaction<DomainDatabase>, [reuseAuditEntry(reuse)], receivedAt);
  return reuse;
}
