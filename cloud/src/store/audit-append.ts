import { sql, type Transaction } from 'kysely';
import { type AuditInput, GENESIS_HASH, linkAuditEntries } from '../domain/audit-chain.js';
import { onPostgres, pgUnnestRows } from './pg-arrays.js';
import type { DomainDatabase } from './schema.js';

/** `audit_log`'s columns with their PostgreSQL types (migration 0002), for the rows sent as arrays. */
const AUDIT_COLUMNS = [
  ['seq', 'bigint'],
  ['at', 'bigint'],
  ['actor', 'text'],
  ['action', 'text'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['before_json', 'text'],
  ['after_json', 'text'],
  ['reason', 'text'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
] as const;

/**
 * Appends entries to the chain inside the caller's transaction. The head row is updated first, which
 * takes its row lock on PostgreSQL, so concurrent appenders in several processes queue behind each
 * other and the chain stays linear; SQLite serialises write transactions anyway.
 */
export async function appendAudit(
  trx: Transaction<DomainDatabase>,
  entries: readonly AuditInput[],
  at: number,
): Promise<number> {
  if (entries.length === 0) return 0;
  await lockAuditHead(trx);
  const head = await trx.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  const rows = linkAuditEntries({ seq: Number(head.seq), hash: head.hash }, entries, at);
  // PostgreSQL: all the entries in one statement, one array per column (pg-arrays.ts).
  if (onPostgres(trx)) await trx.executeQuery(pgUnnestRows('audit_log', AUDIT_COLUMNS, rows));
  else
    for (let i = 0; i < rows.length; i += 200)
      await trx
        .insertInto('audit_log')
        .values(rows.slice(i, i + 200))
        .execute();
  const last = rows[rows.length - 1]!;
  await trx.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).where('id', '=', 1).execute();
  return rows.length;
}

/**
 * Takes the audit head row's lock until commit (PostgreSQL; SQLite serialises write transactions anyway).
 * Whatever a transaction inserts after it, e.g. outbox rows, gets ids in commit order across processes.
 */
export async function lockAuditHead(trx: Transaction<DomainDatabase>): Promise<void> {
  await trx
    .insertInto('audit_head')
    .values({ id: 1, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  // A no-op update: it locks the row.
  await trx.updateTable('audit_head').set({ seq: sql`seq` }).where('id', '=', 1).execute();
}
