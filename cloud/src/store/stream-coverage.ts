import type { Stream } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import { type SeqSpan, unionSpans } from './coverage.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;

/**
 * Joins [from, to] with the stored accepted ranges it overlaps or touches (Kysely path; the SQLite fast
 * path has its own prepared-statement copy). Concurrent ingestors may leave overlapping rows behind;
 * readers take the union, so that is harmless.
 */
export async function mergeStreamRange(trx: Trx, gatewayId: string, stream: Stream, span: SeqSpan) {
  const near = await trx
    .selectFrom('stream_ranges')
    .select(['from_seq', 'to_seq'])
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', stream)
    .where('from_seq', '<=', span.to + 1)
    .where('to_seq', '>=', span.from - 1)
    .execute();
  const merged = unionSpans([span, ...near.map((r) => ({ from: r.from_seq, to: r.to_seq }))])[0]!;
  if (near.length === 1 && near[0]!.from_seq === merged.from && near[0]!.to_seq === merged.to) return;
  if (near.length === 1) {
    // The common case: the batch continues (or overlaps) one stored range: one UPDATE.
    await trx
      .updateTable('stream_ranges')
      .set({ from_seq: merged.from, to_seq: merged.to })
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where('from_seq', '=', near[0]!.from_seq)
      .execute();
    return;
  }
  if (near.length > 0) {
    await trx
      .deleteFrom('stream_ranges')
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where(
        'from_seq',
        'in',
        near.map((r) => r.from_seq),
      )
      .execute();
  }
  await trx
    .insertInto('stream_ranges')
    .values({ gateway_id: gatewayId, stream, from_seq: merged.from, to_seq: merged.to })
    .onConflict((oc) => oc.columns(['gateway_id', 'stream', 'from_seq']).doUpdateSet({ to_seq: merged.to }))
    .execute();
}

/**
 * Records a thinned range the batch declares, joined with the stored thinned ranges it overlaps or
 * touches, so each seq is in at most one row. The gateway merges a new thinned range with an adjacent
 * earlier one, so a replayed batch may carry [x, y] where [x, z < y] is stored: the stored row grows to y
 * (before, `ON CONFLICT DO NOTHING` kept [x, z] and seqs z+1..y were neither stored nor counted thinned).
 */
export async function mergeThinnedRange(
  trx: Trx,
  gatewayId: string,
  stream: Stream,
  span: SeqSpan,
  receivedAt: number,
) {
  const near = await trx
    .selectFrom('thinned_ranges')
    .select(['from_seq', 'to_seq', 'received_at'])
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', stream)
    .where('from_seq', '<=', span.to + 1)
    .where('to_seq', '>=', span.from - 1)
    .execute();
  const merged = unionSpans([span, ...near.map((r) => ({ from: r.from_seq, to: r.to_seq }))])[0]!;
  if (near.length === 1 && near[0]!.from_seq === merged.from && near[0]!.to_seq === merged.to) return;
  const firstReceived = Math.min(receivedAt, ...near.map((r) => r.received_at));
  if (near.length > 0) {
    await trx
      .deleteFrom('thinned_ranges')
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where(
        'from_seq',
        'in',
        near.map((r) => r.from_seq),
      )
      .execute();
  }
  await trx
    .insertInto('thinned_ranges')
    .values({
      gateway_id: gatewayId,
      stream,
      from_seq: merged.from,
      to_seq: merged.to,
      received_at: firstReceived,
    })
    .onConflict((oc) => oc.columns(['gateway_id', 'stream', 'from_seq']).doUpdateSet({ to_seq: merged.to }))
    .execute();
}

/** Seqs inside thinned ranges, counted once even where stored rows overlap (rows stored before ranges were merged). */
export function thinnedCount(rows: ReadonlyArray<{ from_seq: number; to_seq: number }>): number {
  return unionSpans(rows.map((r) => ({ from: r.from_seq, to: r.to_seq }))).reduce(
    (n, s) => n + s.to - s.from + 1,
    0,
  );
}
