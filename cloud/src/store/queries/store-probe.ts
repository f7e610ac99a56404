import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Reads one row: rejects when the store does not answer (readiness, docs/operations.md "Health and
 * readiness").
 */
export async function probeStore(db: Kysely<Database>): Promise<void> {
  await db.selectFrom('gateways').select('id').limit(1).execute();
}
