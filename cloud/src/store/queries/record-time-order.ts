import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

/**
 * Time order of a gateway's records (readings, movements, alarms): (gateway_id, seq) is their primary key,
 * so the order is total. GET /readings, /movements and /alarms page in it with one cursor (ts, gateway id,
 * seq) (docs/architecture.md "Lists and paging").
 */
const KEYS: KeyColumn[] = [{ column: 'ts' }, { column: 'gateway_id' }, { column: 'seq' }];

/** The bigint columns every gateway record has. */
const BIGINTS = ['ts', 'seq', 'received_at'] as const;

/**
 * `s` in time order from after `after` on, `limit + 1` rows (`pageOf` tells whether more follow). Besides
 * the row-value condition the page starts with `ts >= after.ts`, a plain range on `ts` that an index
 * `(<filter column>, ts)` serves, so a filtered page is read from its cursor on rather than from the start of
 * the filtered history.
 */
export function inRecordTimeOrder<DB, TB extends keyof DB, O>(
  s: SelectQueryBuilder<DB, TB, O>,
  after: KeyValues | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  const from = after
    ? s.where(sql<SqlBool>`${sql.ref('ts')} >= ${Number(after[0])}`).where(keysetAfter(KEYS, after))
    : s;
  return from
    .orderBy(sql.ref('ts'))
    .orderBy(sql.ref('gateway_id'))
    .orderBy(sql.ref('seq'))
    .limit(limit + 1);
}

/**
 * The page of rows read by `inRecordTimeOrder`, with the bigint columns (those of every record and
 * `bigints`) as numbers: PostgreSQL's arrive as strings.
 */
export function recordPage<R extends { ts: number; gateway_id: string; seq: number }>(
  rows: readonly R[],
  limit: number,
  bigints: ReadonlyArray<keyof R> = [],
): { items: R[]; next: KeyValues | null } {
  const numbered = rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const c of [...BIGINTS, ...bigints]) out[c as string] = Number(out[c as string]);
    return out as R;
  });
  return pageOf(numbered, limit, (r) => [r.ts, r.gateway_id, r.seq]);
}
