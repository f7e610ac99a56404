import type { Kysely } from 'kysely';
import type { Database, Row } from '../schema.js';

export interface RuleAlarmQuery {
  /** The rule that raised them ('rate_of_change'). */
  rule?: string | undefined;
  locationId?: string | undefined;
  /** Alarms overlapping [fromTs, toTs] (event time). */
  fromTs?: number | undefined;
  toTs?: number | undefined;
  limit?: number | undefined;
}

/** Alarms the lock rules derived from the readings (`rule_alarms`), newest first. */
export function listRuleAlarms(
  db: Kysely<Database>,
  q: RuleAlarmQuery = {},
): Promise<Array<Row<'rule_alarms'>>> {
  let s = db.selectFrom('rule_alarms').selectAll();
  if (q.rule) s = s.where('rule', '=', q.rule);
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.fromTs !== undefined) s = s.where('to_ts', '>=', q.fromTs);
  if (q.toTs !== undefined) s = s.where('from_ts', '<=', q.toTs);
  return s
    .orderBy('from_ts', 'desc')
    .orderBy('id')
    .limit(q.limit ?? 1000)
    .execute();
}
