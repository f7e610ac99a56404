import type { Reading } from '@coldtrace/shared';
import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import { centi, centiFallback } from '../../domain/centi-values.js';
import type { StreamRecord } from '../../domain/ingest/ingest-store.js';
import type { ReadingsTable } from '../schema/ingest-tables.js';
import type { Database } from '../schema.js';
import { pgArrayLiteral } from './pg-array-literal.js';

// PostgreSQL's readings as compact rows (migration 0044): `reading_rows` of integer keys into four
// dictionaries, values in 0.01 units where exact (`centi`, as on SQLite) and the arrival as milliseconds
// after the reading's time. Ingest writes the rows here; every reader goes through the view `readings`.

const DICTIONARIES = ['gateway', 'sensor', 'location', 'quality'] as const;
type Dictionary = (typeof DICTIONARIES)[number];
/** Ids of one batch by dictionary. */
type Ids = Record<Dictionary, readonly string[]>;
/** Keys by id, by dictionary. */
export type ReadingKeys = Record<Dictionary, Map<string, number>>;

/**
 * Makes the keys of ids not known yet and reads every id's key, in one statement: `$1`–`$4` the ids of each
 * dictionary. The new keys come back from their inserts (the statement's snapshot does not see them), the
 * others from the dictionary. A key another transaction is making meanwhile is neither (its insert waits
 * and does nothing, and the snapshot predates it): `readingKeys` asks again once it is committed.
 */
const KEYS = `with ${DICTIONARIES.map(
  (d, i) =>
    `n${i} as (insert into ${d}_keys (id) select x from unnest($${i + 1}::text[]) x ` +
    `where not exists (select 1 from ${d}_keys k where k.id = x) order by x on conflict (id) do nothing returning key, id)`,
).join(', ')} ${DICTIONARIES.map(
  (d, i) =>
    `select ${i} as d, key, id from n${i} union all select ${i}, key, id from ${d}_keys where id = any($${i + 1}::text[])`,
).join(' union all ')}`;
const KEY_TRIES = 5;

/** The distinct ids of gateways' readings, by dictionary. */
export function readingIds(batches: ReadonlyArray<readonly [string, readonly Reading[]]>): Ids {
  const ids = Object.fromEntries(DICTIONARIES.map((d) => [d, new Set<string>()])) as Record<
    Dictionary,
    Set<string>
  >;
  for (const [gatewayId, readings] of batches) {
    ids.gateway.add(gatewayId);
    for (const r of readings) {
      ids.sensor.add(r.sensorId);
      ids.location.add(r.locationId);
      ids.quality.add(r.quality);
    }
  }
  return Object.fromEntries(DICTIONARIES.map((d) => [d, [...ids[d]]])) as unknown as Ids;
}

/**
 * Every id's key, made where new; throws if an id has none after `KEY_TRIES` statements. Ingest makes a
 * group's keys before its transaction (kysely-ingest-backend.ts), so in the transaction this only reads.
 */
export async function readingKeys(db: Kysely<Database>, ids: Ids): Promise<ReadingKeys> {
  const keys = Object.fromEntries(DICTIONARIES.map((d) => [d, new Map<string, number>()])) as ReadingKeys;
  let missing = ids;
  for (let attempt = 0; attempt < KEY_TRIES; attempt++) {
    const got = await db.executeQuery<{ d: number; key: number; id: string }>(
      CompiledQuery.raw(
        KEYS,
        DICTIONARIES.map((d) => pgArrayLiteral(missing[d])),
      ),
    );
    for (const r of got.rows) keys[DICTIONARIES[r.d]!]!.set(r.id, Number(r.key));
    missing = Object.fromEntries(
      DICTIONARIES.map((d) => [d, ids[d].filter((id) => !keys[d].has(id))]),
    ) as unknown as Ids;
    if (DICTIONARIES.every((d) => missing[d].length === 0)) return keys;
  }
  throw new Error(`no reading key for ${JSON.stringify(missing)} after ${KEY_TRIES} tries`);
}

const STORED =
  "select case when count(*) < cardinality($3::bigint[]) then coalesce(array_agg(seq), '{}') end as stored from ins";
const INSERT =
  'ins as (insert into reading_rows (ts, seq, received_lag, temp_x, rh_x, gateway_key, sensor_key, location_key, ' +
  'quality_key, temp_cc, rh_cc) ' +
  'select u.ts, u.seq, $2::bigint - u.ts, u.temp_x, u.rh_x, $1::int, u.sk, u.lk, u.qk, u.tc, u.rc ' +
  'from unnest($3::bigint[], $4::bigint[], $5::float8[], $6::float8[], $7::int[], $8::int[], $9::smallint[], ' +
  '$10::smallint[], $11::smallint[]) as u(seq, ts, temp_x, rh_x, sk, lk, qk, tc, rc) ';
const COVERED_BY = "from stream_ranges c where c.gateway_id = $12::text and c.stream = 'readings'";

/**
 * The insert, as pg-unnest-insert.ts's for the other streams (one array per column). Readings are
 * partitioned by time (migration 0040), so their primary key holds `ts` and cannot refuse a seq stored at
 * another time: the statement looks for the batch's seqs itself, in every partition, but only for seqs
 * inside the stream's stored coverage (`stream_ranges`): every seq this insert ever stored is there, merged
 * by its batch in the same transaction (ingest-plan.ts), and a reused number stored in a fork is inserted
 * one by one (`insertRecordAt`), which looks for it. A batch that continues its stream, the usual one, has
 * no seq there: `pgInsertReadings` asks that first and then sends the plain insert (`FRESH`), since the
 * look-up, though it reads no reading then, is planned over every partition (about 1 ms a batch at 42
 * months, docs/performance.md). The caller's transaction holds the gateway's stream lock, so no other
 * insert of its seqs runs meanwhile. Parameters: gateway key, arrival, seqs, the other arrays, and
 * (`CHECKED` only) the gateway's id.
 */
const CHECKED =
  'with taken as (select r.seq from reading_rows r where r.gateway_key = $1::int and r.seq = any(array(' +
  'select s from unnest($3::bigint[]) as s ' +
  `where s <= (select max(c.to_seq) ${COVERED_BY}) ` +
  `and exists (select 1 ${COVERED_BY} and c.from_seq <= s and c.to_seq >= s)))), ` +
  `${INSERT}where u.seq not in (select seq from taken) on conflict do nothing returning seq) ${STORED}`;
const FRESH = `with ${INSERT}on conflict do nothing returning seq) ${STORED}`;

/** Whether the stream's stored coverage (`stream_ranges`) meets [lo, hi]: one range row, by its key. */
const COVERED =
  "select exists (select 1 from stream_ranges where gateway_id = $1::text and stream = 'readings' " +
  'and from_seq <= $3::bigint and to_seq >= $2::bigint) as covered';

/**
 * Inserts readings under `gatewayId` at their seq plus `offset` on PostgreSQL; returns the stored seqs (those
 * whose key was free).
 */
export async function pgInsertReadings(
  trx: Transaction<Database>,
  gatewayId: string,
  records: readonly StreamRecord[],
  offset: number,
  receivedAt: number,
): Promise<number[]> {
  const readings = records as ReadonlyArray<Reading & { seq: number }>;
  if (readings.length === 0) return [];
  const keys = await readingKeys(trx, readingIds([[gatewayId, readings]]));
  const n = readings.length;
  const cols = Array.from({ length: 9 }, () => new Array<unknown>(n));
  const [seqs, ts, tempX, rhX, sk, lk, qk, tc, rc] = cols as [number[], ...unknown[][]];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    const seq = r.seq + offset;
    seqs[i] = seq;
    if (seq < lo) lo = seq;
    if (seq > hi) hi = seq;
    ts![i] = r.ts;
    tempX![i] = centiFallback(r.tempC);
    rhX![i] = centiFallback(r.rh);
    sk![i] = keys.sensor.get(r.sensorId);
    lk![i] = keys.location.get(r.locationId);
    qk![i] = keys.quality.get(r.quality);
    tc![i] = centi(r.tempC);
    rc![i] = centi(r.rh);
  }
  const covered = await trx.executeQuery<{ covered: boolean }>(
    CompiledQuery.raw(COVERED, [gatewayId, lo, hi]),
  );
  const got = await trx.executeQuery<{ stored: unknown[] | null }>(
    CompiledQuery.raw(covered.rows[0]?.covered ? CHECKED : FRESH, [
      keys.gateway.get(gatewayId),
      receivedAt,
      ...cols.map(pgArrayLiteral),
      ...(covered.rows[0]?.covered ? [gatewayId] : []),
    ]),
  );
  const stored = got.rows[0]?.stored;
  return stored == null ? seqs : stored.map(Number);
}

/**
 * The one-by-one insert of a reading at `storedSeq` (`insertRecordAt`); false if a reading is stored under
 * that key. It looks in every partition first: readings are partitioned by time (0040), so their key holds
 * `ts` and an insert cannot refuse a seq stored at another time.
 */
export async function pgInsertReadingAt(
  trx: Transaction<Database>,
  gatewayId: string,
  record: StreamRecord,
  storedSeq: number,
  receivedAt: number,
): Promise<boolean> {
  const there = await trx
    .selectFrom('readings')
    .select('seq')
    .where('gateway_id', '=', gatewayId)
    .where('seq', '=', storedSeq)
    .executeTakeFirst();
  if (there !== undefined) return false;
  return (await pgInsertReadings(trx, gatewayId, [record], storedSeq - record.seq, receivedAt)).length > 0;
}

const ROWS_INSERT =
  'insert into reading_rows (ts, seq, received_lag, temp_x, rh_x, gateway_key, sensor_key, location_key, ' +
  'quality_key, temp_cc, rh_cc) select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], ' +
  '$5::float8[], $6::int[], $7::int[], $8::int[], $9::smallint[], $10::smallint[], $11::smallint[]) ' +
  'on conflict do nothing';

/**
 * Inserts rows of `readings` (any gateways and arrivals: an archive's, on restore) as compact rows; a row
 * whose key is taken is skipped. Returns how many were inserted.
 */
export async function pgInsertReadingRows(
  trx: Transaction<Database>,
  rows: readonly ReadingsTable[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const distinct = (f: (r: ReadingsTable) => string) => [...new Set(rows.map(f))];
  const keys = await readingKeys(trx, {
    gateway: distinct((r) => r.gateway_id),
    sensor: distinct((r) => r.sensor_id),
    location: distinct((r) => r.location_id),
    quality: distinct((r) => r.quality),
  });
  const cols = Array.from({ length: 11 }, () => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const row = [
      r.ts,
      r.seq,
      r.received_at - r.ts,
      centiFallback(r.temp_c),
      centiFallback(r.rh),
      keys.gateway.get(r.gateway_id),
      keys.sensor.get(r.sensor_id),
      keys.location.get(r.location_id),
      keys.quality.get(r.quality),
      centi(r.temp_c),
      centi(r.rh),
    ];
    for (let c = 0; c < row.length; c++) cols[c]![i] = row[c];
  }
  const r = await trx.executeQuery(CompiledQuery.raw(ROWS_INSERT, cols.map(pgArrayLiteral)));
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Deletes one gateway's readings by seq, within [from, to] (their times: the delete opens only their months'
 * partitions); returns how many were stored.
 */
export async function pgDeleteReadings(
  trx: Transaction<Database>,
  gatewayId: string,
  seqs: readonly number[],
  from: number,
  to: number,
): Promise<number> {
  const r = await sql`delete from reading_rows
    where gateway_key = (select key from gateway_keys where id = ${gatewayId})
      and seq = any(${pgArrayLiteral(seqs)}::bigint[]) and ts >= ${from} and ts <= ${to}`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}
