import type { Kysely } from 'kysely';
import { GENESIS_HASH } from '../domain/audit-chain.js';
import type { ChainAtCheckpoint, SignedCheckpoint } from '../domain/audit-checkpoint.js';
import type { DigestHead } from '../domain/reading-digests.js';
import { readingDigestAt, readingDigestHeads } from './reading-digest-reads.js';
import type { Database } from './schema.js';

/** What a checkpoint signs now: the audit chain's head and each gateway's reading-digest head. */
export async function checkpointState(
  db: Kysely<Database>,
): Promise<{ audit: { seq: number; hash: string }; readings: DigestHead[] }> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return {
    audit: head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH },
    readings: await readingDigestHeads(db),
  };
}

/** What the database holds at a checkpoint's positions, for `checkpointFindings`. */
export async function chainAtCheckpoint(
  db: Kysely<Database>,
  cp: SignedCheckpoint,
): Promise<ChainAtCheckpoint> {
  const head = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
  const entry = await db
    .selectFrom('audit_log')
    .select('hash')
    .where('seq', '=', cp.audit.seq)
    .executeTakeFirst();
  const digestChains = new Map<string, string | undefined>();
  for (const h of cp.readings)
    digestChains.set(h.gateway, (await readingDigestAt(db, h.gateway, h.batches))?.chain);
  return { auditHeadSeq: Number(head?.seq ?? 0), auditHash: entry?.hash, digestChains };
}
