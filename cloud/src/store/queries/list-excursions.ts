import { type Kysely, sql } from 'kysely';
import type { Database, Row } from '../schema.js';
import { type KeyColumn, type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface ExcursionQuery {
  locationId?: string | undefined;
  /** 'pending' | 'decided'. */
  reviewState?: string | undefined;
  /** 'ongoing' | 'closed' | 'withdrawn'. */
  state?: string | undefined;
  /** Excursions that locked a unit of this lot. */
  lotId?: string | undefined;
  /** Excursions overlapping [fromTs, toTs] (event time; an ongoing one has no end). */
  fromTs?: number | undefined;
  toTs?: number | undefined;
  critical?: boolean | undefined;
  /** Start time order; default oldest first. */
  order?: 'asc' | 'desc' | undefined;
}

const keys = (q: ExcursionQuery): KeyColumn[] => [
  { column: 'start_ts', desc: q.order === 'desc' },
  { column: 'id', desc: q.order === 'desc' },
];

function filtered(db: Kysely<Database>, q: ExcursionQuery) {
  let s = db.selectFrom('excursions').selectAll();
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.reviewState) s = s.where('review_state', '=', q.reviewState);
  if (q.state) s = s.where('state', '=', q.state);
  if (q.critical !== undefined) s = s.where('critical', '=', q.critical ? 1 : 0);
  if (q.fromTs !== undefined) {
    const from = q.fromTs;
    s = s.where((eb) => eb.or([eb('end_ts', 'is', null), eb('end_ts', '>=', from)]));
  }
  if (q.toTs !== undefined) s = s.where('start_ts', '<=', q.toTs);
  if (q.lotId) {
    const lotId = q.lotId;
    s = s.where((eb) =>
      eb.exists(
        eb
          .selectFrom('locks')
          .innerJoin('epcs', 'epcs.epc', 'locks.epc')
          .select(sql`1`.as('one'))
          .where('locks.cause', '=', 'excursion')
          .whereRef('locks.rule_key', '=', 'excursions.id')
          .where('epcs.lot_id', '=', lotId),
      ),
    );
  }
  return s;
}

/** Stored excursions with their domain columns, by start time. */
export function listExcursions(
  db: Kysely<Database>,
  q: ExcursionQuery = {},
): Promise<Array<Row<'excursions'>>> {
  const dir = q.order === 'desc' ? 'desc' : 'asc';
  return filtered(db, q).orderBy('start_ts', dir).orderBy('id', dir).execute();
}

/** The query of one page of `listExcursions` after the key `after` (start time, id); the plan tests explain it. */
export function excursionPageQuery(
  db: Kysely<Database>,
  q: ExcursionQuery & { after?: KeyValues | undefined; limit: number },
) {
  const dir = q.order === 'desc' ? 'desc' : 'asc';
  let s = filtered(db, q);
  if (q.after) s = s.where(keysetAfter(keys(q), q.after));
  return s
    .orderBy('start_ts', dir)
    .orderBy('id', dir)
    .limit(q.limit + 1);
}

/** One page of `listExcursions` after the key `after` (start time, id). */
export async function pageExcursions(
  db: Kysely<Database>,
  q: ExcursionQuery & { after?: KeyValues | undefined; limit: number },
): Promise<{ items: Array<Row<'excursions'>>; next: KeyValues | null }> {
  const rows = await excursionPageQuery(db, q).execute();
  return pageOf(rows, q.limit, (r) => [r.start_ts, r.id]);
}
