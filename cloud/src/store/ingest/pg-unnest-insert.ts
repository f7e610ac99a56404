import type { Stream } from '@coldtrace/shared';
import { CompiledQuery, type Transaction } from 'kysely';
import type { StreamRecord } from '../../domain/ingest/ingest-store.js';
import { contentRow } from '../../domain/ingest/record-rows.js';
import type { Database } from '../schema.js';
import { pgArrayLiteral } from './pg-array-literal.js';
import { pgInsertReadings } from './pg-reading-rows.js';

/**
 * Content columns of each stream's table with their PostgreSQL types (migration 0001-core): the element
 * types of the arrays `unnest` reads, so every value is cast exactly as the column stores it.
 */
const COLUMNS: Record<Exclude<Stream, 'readings'>, ReadonlyArray<readonly [string, string]>> = {
  movements: [
    ['epc', 'text'],
    ['portal_id', 'text'],
    ['kind', 'text'],
    ['from_location', 'text'],
    ['to_location', 'text'],
    ['direction', 'text'],
    ['ts', 'bigint'],
    ['first_seen', 'bigint'],
    ['last_seen', 'bigint'],
    ['reads', 'integer'],
    ['peak_rssi', 'integer'],
  ],
  alarms: [
    ['alarm_id', 'text'],
    ['kind', 'text'],
    ['state', 'text'],
    ['severity', 'text'],
    ['ts', 'bigint'],
    ['location_id', 'text'],
    ['sensor_id', 'text'],
    ['value', 'double precision'],
    ['message', 'text'],
  ],
};

/**
 * One statement text per stream: the rows as one array per column (`unnest`), so the statement has the same
 * 3 + columns parameters whatever the row count, and neither the client nor PostgreSQL handles thousands of
 * parameters (docs/performance.md "Scale-out ingest"). Gateway and arrival are one value for all rows.
 * A taken key is skipped. One result row: the stored seqs only when a key was taken (`stored` null: all
 * were stored; `{}`: none was), so the usual batch does not send back, and the client parse, a row per
 * record. Readings have a statement of their own (pg-reading-rows.ts).
 */
const STATEMENTS = Object.fromEntries(
  (Object.keys(COLUMNS) as Array<keyof typeof COLUMNS>).map((stream) => {
    const cols = COLUMNS[stream];
    const names = cols.map(([c]) => c).join(', ');
    const arrays = cols.map(([, type], i) => `$${i + 4}::${type}[]`).join(', ');
    const stored =
      "select case when count(*) < cardinality($3::bigint[]) then coalesce(array_agg(seq), '{}') end as stored from ins";
    return [
      stream,
      `with ins as (insert into ${stream} (gateway_id, received_at, seq, ${names}) ` +
        `select $1::text, $2::bigint, u.* from unnest($3::bigint[], ${arrays}) as u ` +
        `on conflict (gateway_id, seq) do nothing returning seq) ${stored}`,
    ];
  }),
) as Record<keyof typeof COLUMNS, string>;

/**
 * Inserts records of a stream (not scans: they have their own table) under `gatewayId` at their seq plus
 * `offset` on PostgreSQL; returns the stored seqs (those whose key was free).
 */
export async function pgUnnestInsert(
  trx: Transaction<Database>,
  stream: Stream,
  gatewayId: string,
  records: readonly StreamRecord[],
  offset: number,
  receivedAt: number,
): Promise<number[]> {
  if (stream === 'readings') return pgInsertReadings(trx, gatewayId, records, offset, receivedAt);
  const cols = COLUMNS[stream];
  const seqs: number[] = new Array(records.length);
  const arrays: unknown[][] = cols.map(() => new Array(records.length));
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    seqs[i] = r.seq + offset;
    const row = contentRow(stream, r);
    for (let c = 0; c < cols.length; c++) arrays[c]![i] = row[cols[c]![0]];
  }
  const got = await trx.executeQuery<{ stored: unknown[] | null }>(
    CompiledQuery.raw(STATEMENTS[stream], [
      gatewayId,
      receivedAt,
      pgArrayLiteral(seqs),
      ...arrays.map(pgArrayLiteral),
    ]),
  );
  const stored = got.rows[0]?.stored;
  return stored == null ? seqs : stored.map(Number);
}
