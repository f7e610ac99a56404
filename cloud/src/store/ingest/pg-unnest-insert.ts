import type { Stream } from '@coldtrace/shared';
import { CompiledQuery, type Transaction } from 'kysely';
import type { StreamRecord } from '../../domain/ingest/ingest-store.js';
import { contentRow } from '../../domain/ingest/record-rows.js';
import type { Database } from '../schema.js';
import { pgArrayLiteral } from './pg-array-literal.js';

/**
 * Content columns of each stream's table with their PostgreSQL types (migration 0001-core): the element
 * types of the arrays `unnest` reads, so every value is cast exactly as the column stores it.
 */
const COLUMNS: Record<Stream, ReadonlyArray<readonly [string, string]>> = {
  readings: [
    ['sensor_id', 'text'],
    ['location_id', 'text'],
    ['ts', 'bigint'],
    ['temp_c', 'double precision'],
    ['rh', 'double precision'],
    ['quality', 'text'],
  ],
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
 * record.
 *
 * Readings are partitioned by time (migration 0040), so their primary key holds `ts` and cannot refuse a
 * seq stored at another time: the statement looks for the batch's seqs itself, in every partition, but
 * only for seqs inside the stream's stored coverage (`stream_ranges`): every seq this insert ever stored
 * is there, merged by its batch in the same transaction (ingest-plan.ts), and a reused number stored in
 * a fork is inserted one by one (`insertRecordAt`), which looks for it. A batch that continues its stream,
 * the usual one, has no seq there: `pgUnnestInsert` asks that first and then sends the plain insert
 * (`READINGS_FRESH`), since the look-up, though it reads no reading then, is planned over every partition
 * (about 1 ms a batch at 42 months, docs/performance.md). The caller's transaction holds the gateway's
 * stream lock, so no other insert of its seqs runs meanwhile.
 */
const STATEMENTS = Object.fromEntries(
  (Object.keys(COLUMNS) as Stream[]).map((stream) => {
    const cols = COLUMNS[stream];
    const names = cols.map(([c]) => c).join(', ');
    const arrays = cols.map(([, type], i) => `$${i + 4}::${type}[]`).join(', ');
    const stored =
      "select case when count(*) < cardinality($3::bigint[]) then coalesce(array_agg(seq), '{}') end as stored from ins";
    if (stream !== 'readings')
      return [
        stream,
        `with ins as (insert into ${stream} (gateway_id, received_at, seq, ${names}) ` +
          `select $1::text, $2::bigint, u.* from unnest($3::bigint[], ${arrays}) as u ` +
          `on conflict (gateway_id, seq) do nothing returning seq) ${stored}`,
      ];
    const covered = "from stream_ranges c where c.gateway_id = $1::text and c.stream = 'readings'";
    return [
      stream,
      'with taken as (select r.seq from readings r where r.gateway_id = $1::text and r.seq = any(array(' +
        'select s from unnest($3::bigint[]) as s ' +
        `where s <= (select max(c.to_seq) ${covered}) ` +
        `and exists (select 1 ${covered} and c.from_seq <= s and c.to_seq >= s)))), ` +
        `ins as (insert into readings (gateway_id, received_at, seq, ${names}) ` +
        `select $1::text, $2::bigint, u.* from unnest($3::bigint[], ${arrays}) as u(seq, ${names}) ` +
        'where u.seq not in (select seq from taken) ' +
        `on conflict do nothing returning seq) ${stored}`,
    ];
  }),
) as Record<Stream, string>;

/** Readings none of whose seqs the stream's coverage holds: the insert alone. */
const READINGS_FRESH = (() => {
  const names = COLUMNS.readings.map(([c]) => c).join(', ');
  const arrays = COLUMNS.readings.map(([, type], i) => `$${i + 4}::${type}[]`).join(', ');
  return (
    `with ins as (insert into readings (gateway_id, received_at, seq, ${names}) ` +
    `select $1::text, $2::bigint, u.* from unnest($3::bigint[], ${arrays}) as u ` +
    'on conflict do nothing returning seq) ' +
    "select case when count(*) < cardinality($3::bigint[]) then coalesce(array_agg(seq), '{}') end as stored from ins"
  );
})();

/** Whether the stream's stored coverage (`stream_ranges`) meets [lo, hi]: one range row, by its key. */
const READINGS_COVERED =
  "select exists (select 1 from stream_ranges where gateway_id = $1::text and stream = 'readings' " +
  'and from_seq <= $3::bigint and to_seq >= $2::bigint) as covered';

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
  const cols = COLUMNS[stream];
  const seqs: number[] = new Array(records.length);
  const arrays: unknown[][] = cols.map(() => new Array(records.length));
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    seqs[i] = r.seq + offset;
    const row = contentRow(stream, r);
    for (let c = 0; c < cols.length; c++) arrays[c]![i] = row[cols[c]![0]];
  }
  let text = STATEMENTS[stream];
  if (stream === 'readings' && seqs.length > 0) {
    let lo = seqs[0]!;
    let hi = lo;
    for (const s of seqs) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const c = await trx.executeQuery<{ covered: boolean }>(
      CompiledQuery.raw(READINGS_COVERED, [gatewayId, lo, hi]),
    );
    if (!c.rows[0]?.covered) text = READINGS_FRESH;
  }
  const got = await trx.executeQuery<{ stored: unknown[] | null }>(
    CompiledQuery.raw(text, [gatewayId, receivedAt, pgArrayLiteral(seqs), ...arrays.map(pgArrayLiteral)]),
  );
  const stored = got.rows[0]?.stored;
  return stored == null ? seqs : stored.map(Number);
}

/**
 * Whether a reading is stored under this key on PostgreSQL, in any partition: readings are partitioned by
 * time (0040), so their key holds `ts` and an insert cannot refuse a seq stored at another time. For the
 * one-by-one insert (`insertRecordAt`), which looks before inserting; `pgUnnestInsert` looks in its statement.
 */
export async function pgReadingStored(
  trx: Transaction<Database>,
  gatewayId: string,
  storedSeq: number,
): Promise<boolean> {
  const there = await trx
    .selectFrom('readings')
    .select('seq')
    .where('gateway_id', '=', gatewayId)
    .where('seq', '=', storedSeq)
    .executeTakeFirst();
  return there !== undefined;
}
