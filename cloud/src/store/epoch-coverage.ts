import type { Stream } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { EPOCH_SEQ_SPAN } from '../domain/ingest/epochs.js';
import { holesIn, type SeqSpan, thinnedCount } from '../domain/ingest/seq-spans.js';
import { isFork } from '../domain/ingest/sequence-reuse.js';
import type { Database } from './schema.js';

/** Coverage of one gateway stream in one buffer epoch, in the wire's sequence numbers. */
export interface StreamCoverage {
  gatewayId: string;
  stream: Stream;
  highWater: number;
  holes: SeqSpan[];
  thinned: number;
  /** The buffer epoch of these numbers; absent while the stream never named one (older gateways). */
  epoch?: string;
  /** Its index k for this stream: stored seq = k × 2^40 + seq. Absent with `epoch`. */
  epochIndex?: number;
  /** When this epoch replaced another (k > 0): a sequence reset (docs/durability.md "Epoch"). */
  sequenceReset?: { at: number; fromEpoch: string; toEpoch: string; previousHighWater: number };
  /**
   * Forks of this epoch: records the gateway sent under numbers already stored for other records (its
   * buffer.db was rolled back), kept in spaces of their own (docs/durability.md "Sequence reuse").
   */
  sequenceReuses?: Array<{ fork: string; epochIndex: number; at: number; records: number }>;
}

interface Group {
  gatewayId: string;
  stream: Stream;
  index: number;
  spans: SeqSpan[];
  thinned: Array<{ from_seq: number; to_seq: number }>;
}

/**
 * High-water mark, holes (data gaps until replay fills them) and thinned count per gateway stream and
 * epoch. Each epoch is its own sequence space from 1, so the space between epochs is no hole; holes inside
 * each epoch still are. Sorted by gateway and stream, the current (newest) epoch first.
 */
export async function epochCoverage(db: Kysely<Database>, gatewayId?: string): Promise<StreamCoverage[]> {
  let rq = db.selectFrom('stream_ranges').select(['gateway_id', 'stream', 'from_seq', 'to_seq']);
  let tq = db.selectFrom('thinned_ranges').select(['gateway_id', 'stream', 'from_seq', 'to_seq']);
  let eq = db.selectFrom('stream_epochs').selectAll();
  if (gatewayId) {
    rq = rq.where('gateway_id', '=', gatewayId);
    tq = tq.where('gateway_id', '=', gatewayId);
    eq = eq.where('gateway_id', '=', gatewayId);
  }
  const [ranges, thinnedRows, epochs] = await Promise.all([rq.execute(), tq.execute(), eq.execute()]);
  const key = (gw: string, stream: string, index: number) => `${gw}\u0000${stream}\u0000${index}`;
  const indexOf = (seq: number) => Math.floor(Number(seq) / EPOCH_SEQ_SPAN);
  const groups = new Map<string, Group>();
  for (const r of ranges) {
    const index = indexOf(r.from_seq);
    const k = key(r.gateway_id, r.stream, index);
    let g = groups.get(k);
    if (!g) {
      g = { gatewayId: r.gateway_id, stream: r.stream as Stream, index, spans: [], thinned: [] };
      groups.set(k, g);
    }
    const offset = index * EPOCH_SEQ_SPAN;
    g.spans.push({ from: Number(r.from_seq) - offset, to: Number(r.to_seq) - offset });
  }
  for (const t of thinnedRows) {
    const index = indexOf(t.from_seq);
    const offset = index * EPOCH_SEQ_SPAN;
    groups
      .get(key(t.gateway_id, t.stream, index))
      ?.thinned.push({ from_seq: Number(t.from_seq) - offset, to_seq: Number(t.to_seq) - offset });
  }
  const epochByKey = new Map(epochs.map((e) => [key(e.gateway_id, e.stream, Number(e.epoch_index)), e]));
  const list = [...groups.entries()]
    .map(([k, g]): StreamCoverage => {
      const e = epochByKey.get(k);
      const c: StreamCoverage = {
        gatewayId: g.gatewayId,
        stream: g.stream,
        highWater: Math.max(...g.spans.map((s) => s.to)),
        holes: holesIn(g.spans),
        thinned: thinnedCount(g.thinned),
      };
      if (e && !isFork(e.epoch)) {
        c.epoch = e.epoch;
        c.epochIndex = Number(e.epoch_index);
        if (e.prev_epoch !== null) {
          c.sequenceReset = {
            at: Number(e.first_seen_at),
            fromEpoch: e.prev_epoch,
            toEpoch: e.epoch,
            previousHighWater: Number(e.prev_high_water ?? 0),
          };
        }
      }
      return c;
    })
    .sort(
      (a, b) =>
        a.gatewayId.localeCompare(b.gatewayId) ||
        a.stream.localeCompare(b.stream) ||
        (b.epochIndex ?? 0) - (a.epochIndex ?? 0),
    );
  for (const f of epochs.filter((e) => isFork(e.epoch))) {
    const into = list.find(
      (c) => c.gatewayId === f.gateway_id && c.stream === f.stream && (c.epoch ?? '') === f.prev_epoch,
    );
    if (!into) continue;
    const offset = Number(f.seq_offset);
    const n = await db
      .selectFrom(f.stream as Stream)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('gateway_id', '=', f.gateway_id)
      .where('seq', '>=', offset)
      .where('seq', '<', offset + EPOCH_SEQ_SPAN)
      .executeTakeFirst();
    into.sequenceReuses ??= [];
    into.sequenceReuses.push({
      fork: f.epoch,
      epochIndex: Number(f.epoch_index),
      at: Number(f.first_seen_at),
      records: Number(n?.n ?? 0),
    });
  }
  return list;
}
