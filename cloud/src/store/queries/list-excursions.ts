import type { Kysely } from 'kysely';
import type { Database, Row } from '../schema.js';

export interface ExcursionQuery {
  locationId?: string | undefined;
  /** 'pending' | 'decided'. */
  reviewState?: string | undefined;
  /** 'ongoing' | 'closed' | 'withdrawn'. */
  state?: string | undefined;
}

/** Stored excursions with their domain columns, by start time. */
export function listExcursions(
  db: Kysely<Database>,
  q: ExcursionQuery = {},
): Promise<Array<Row<'excursions'>>> {
  let s = db.selectFrom('excursions').selectAll();
  if (q.locationId) s = s.where('location_id', '=', q.locationId);
  if (q.reviewState) s = s.where('review_state', '=', q.reviewState);
  if (q.state) s = s.where('state', '=', q.state);
  return s.orderBy('start_ts').execute();
}
