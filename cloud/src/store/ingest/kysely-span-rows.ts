import type { Stream } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import type { RangeTable } from '../../domain/ingest/ingest-store.js';
import type { SpanChange, SpanRow } from '../../domain/ingest/seq-spans.js';
import type { Database } from '../schema.js';

/**
 * The span rows of a (gateway, stream) in a range table (`stream_ranges`, `thinned_ranges`) over a Kysely
 * transaction, for `KyselyIngestStore`: the rows touching or adjoining [from, to] (seq-spans.ts merges
 * them) and the writing of one merge's outcome.
 */
export async function rangesNear(
  trx: Transaction<Database>,
  table: RangeTable,
  gatewayId: string,
  stream: Stream,
  from: number,
  to: number,
): Promise<SpanRow[]> {
  const rows = await trx
    .selectFrom(table)
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', stream)
    .where('from_seq', '<=', to + 1)
    .where('to_seq', '>=', from - 1)
    .execute();
  return rows.map((r) => {
    const row: SpanRow = { from_seq: Number(r.from_seq), to_seq: Number(r.to_seq) };
    if ('received_at' in r) row.received_at = Number(r.received_at);
    return row;
  });
}

export async function applySpanChange(
  trx: Transaction<Database>,
  table: RangeTable,
  gatewayId: string,
  stream: Stream,
  c: SpanChange,
): Promise<void> {
  const key = { gateway_id: gatewayId, stream };
  if (c.remove.length > 0) {
    await trx
      .deleteFrom(table)
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where('from_seq', 'in', c.remove)
      .execute();
  }
  const row = table === 'thinned_ranges' ? { ...c.row } : { from_seq: c.row.from_seq, to_seq: c.row.to_seq };
  if (c.keep === undefined) {
    await trx
      .insertInto(table)
      .values({ ...key, ...row } as never)
      .execute();
    return;
  }
  await trx
    .updateTable(table)
    .set(row as never)
    .where('gateway_id', '=', gatewayId)
    .where('stream', '=', stream)
    .where('from_seq', '=', c.keep)
    .execute();
}
