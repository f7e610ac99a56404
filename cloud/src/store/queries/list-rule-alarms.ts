import type { Kysely } from 'kysely';
import type { Database, Row } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface RuleAlarmQuery {
  /** The rule that raised them ('rate_of_change'). */
  rule?: string | undefined;
  locationId?: string | undefined;
  /** Alarms overlapping [fromTs, toTs] (event time). */
  fromTs?: number | undefined;
  toTs?: number | undefined;
  limit?: number | undefined;
  /** Key of the last alarm of the previous page (from_ts, id). */
  after?: KeyValues | undefined;
}

/** Newest first; the id breaks ties, so the order is total. */
const KEYS: KeyColumn[] = [{ column: 'from_ts', desc: true }, { column: 'id' }];

/** Alarms the lock rules derived from the readings (`rule_alarms`), newest first, one page. */
export async function pageRuleAlarms(
  db: Kysely<Database>,
  q: RuleAlarmQuery & { limit: number },
): Promise<{ items: Array<Row<'rule_alarms'>>; next: KeyValues | null }> {
  let s = db.selectFrom('rule_alarms').selectAll();
  if (q.rule) s = s.where('rule', '=', q.rule);
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.fromTs !== undefined) s = s.where('to_ts', '>=', q.fromTs);
  if (q.toTs !== undefined) s = s.where('from_ts', '<=', q.toTs);
  if (q.after) s = s.where(keysetAfter(KEYS, q.after));
  const rows = await s
    .orderBy('from_ts', 'desc')
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, (r) => [r.from_ts, r.id]);
}
