import { type Kysely, sql } from 'kysely';
import type { DeadLetterPreview } from '../cloud-store.js';
import type { Database } from '../schema.js';
import { type KeyValues, keysetAfter, pageOf } from './keyset.js';

export interface DeadLetterQuery {
  code?: string | undefined;
  gatewayId?: string | undefined;
  after?: KeyValues | undefined;
  limit: number;
  /** Characters of each payload returned. */
  previewChars: number;
}

/** One page of dead letters, newest first, each payload cut to `previewChars`. */
export async function pageDeadLetters(
  db: Kysely<Database>,
  q: DeadLetterQuery,
): Promise<{ items: DeadLetterPreview[]; next: KeyValues | null }> {
  let s = db
    .selectFrom('dead_letters')
    .select([
      'id',
      'received_at',
      'topic',
      'gateway_id',
      'client_id',
      'code',
      'reason',
      'payload_bytes',
      'replayed_at',
      'replayed_by',
      'replay_result',
    ])
    .select(sql<string>`substr(payload, 1, ${q.previewChars})`.as('payload'))
    .select(sql<number | string>`length(payload)`.as('payload_chars'));
  if (q.code) s = s.where('code', '=', q.code);
  if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
  if (q.after) s = s.where(keysetAfter([{ column: 'id', desc: true }], q.after));
  const rows = await s
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const items = rows.map((r) => ({
    ...r,
    replayed_at: r.replayed_at === null ? null : Number(r.replayed_at),
    payload_chars: Number(r.payload_chars),
  }));
  return pageOf(items, q.limit, (r) => [r.id]);
}
