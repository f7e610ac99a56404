import type { Kysely } from 'kysely';
import { type AuditVerifyResult, GENESIS_HASH, verifyAuditChain } from '../domain/audit-chain.js';
import type { AuditLogTable, DomainDatabase } from './schema.js';

/** Reads the whole trail in seq order (pages of 5,000) and verifies it against the head row. */
export async function verifyAuditTrail(db: Kysely<DomainDatabase>): Promise<AuditVerifyResult> {
  const rows: AuditLogTable[] = [];
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(5000)
      .execute();
    rows.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1]!.seq;
  }
  // Rows are read by seq, so a swap of seq values is seen as broken links; a swap of content as hashes.
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return verifyAuditChain(rows, head ?? { seq: 0, hash: GENESIS_HASH });
}
