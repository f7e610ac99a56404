import type { Kysely } from 'kysely';
import { subjectKey } from '../../domain/locks/lock-subject.js';
import type { Database, Row } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface LockQuery {
  state?: string | undefined;
  /** What the lock is for (`lockSubject`: an excursion's id, `cumulative:…`, `rate:…`). */
  excursionId?: string | undefined;
  epc?: string | undefined;
  lotId?: string | undefined;
  /** 'excursion' | 'cumulative' | 'rate_of_change'. */
  cause?: string | undefined;
  after?: KeyValues | undefined;
  limit: number;
}

/** Creation order; (epc, cause, rule_key) is the lock's primary key, so the order is total. */
const KEYS: KeyColumn[] = [
  { column: 'locks.created_at' },
  { column: 'locks.epc' },
  { column: 'locks.cause' },
  { column: 'locks.rule_key' },
];

/** The query of one page of locks (with their unit's lot) after `after`; the plan tests explain it. */
export function lockPageQuery(db: Kysely<Database>, q: LockQuery) {
  let s = db
    .selectFrom('locks')
    .leftJoin('epcs', 'epcs.epc', 'locks.epc')
    .selectAll('locks')
    .select('epcs.lot_id as lot_id');
  if (q.state) s = s.where('locks.state', '=', q.state);
  if (q.excursionId) {
    const named = subjectKey(q.excursionId) ?? { cause: 'excursion', key: q.excursionId };
    s = s.where('locks.cause', '=', named.cause).where('locks.rule_key', '=', named.key);
  }
  if (q.cause) s = s.where('locks.cause', '=', q.cause);
  if (q.epc) s = s.where('locks.epc', '=', q.epc.toUpperCase());
  if (q.lotId) s = s.where('epcs.lot_id', '=', q.lotId);
  if (q.after) s = s.where(keysetAfter(KEYS, q.after));
  return s
    .orderBy('locks.created_at')
    .orderBy('locks.epc')
    .orderBy('locks.cause')
    .orderBy('locks.rule_key')
    .limit(q.limit + 1);
}

/** One page of locks (with their unit's lot), in creation order, filtered. */
export async function pageLocks(
  db: Kysely<Database>,
  q: LockQuery,
): Promise<{ items: Array<Row<'locks'> & { lot_id: string | null }>; next: KeyValues | null }> {
  const rows = await lockPageQuery(db, q).execute();
  return pageOf(rows, q.limit, (r) => [r.created_at, r.epc, r.cause, r.rule_key]);
}
