import type { Kysely, Migration } from 'kysely';
import {
  DIGEST_GENESIS,
  digestChainHash,
  encodeSpans,
  type ReadingDigestRow,
  type ReadingRow,
  readingsDigest,
} from '../../domain/reading-digests.js';
import type { ReadingsTable } from '../schema.js';

/** Readings per baseline batch of a database that held readings before this migration. */
const BASELINE_BATCH = 10_000;

type Db = Kysely<{ readings: ReadingsTable; reading_digests: ReadingDigestRow }>;

/** Migration 0018-reading-digests. Shipped migrations are never edited; add a new one instead. */
export const migration0018: Migration = {
  // Per-batch reading digests (docs/architecture.md "Audit trail", reading digests): one row per batch of
  // readings ingest stored, a link of its gateway's chain. Readings stored before digests existed are
  // digested here, in baseline batches of 10,000 per gateway, so `audit verify --readings` covers them from
  // now on (what was changed before this migration cannot be told apart any more).
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reading_digests')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('batch_index', 'bigint', (c) => c.notNull())
      .addColumn('from_seq', 'bigint', (c) => c.notNull())
      .addColumn('to_seq', 'bigint', (c) => c.notNull())
      .addColumn('seqs', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('chain', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('reading_digests_pk', ['gateway_id', 'batch_index'])
      .execute();
    await baseline(db as Db);
  },
};

async function baseline(db: Db): Promise<void> {
  const gateways = await db.selectFrom('readings').select('gateway_id').distinct().execute();
  for (const { gateway_id: gw } of gateways) {
    let chain = DIGEST_GENESIS;
    let index = 0;
    let after = -1;
    for (;;) {
      const page = (await db
        .selectFrom('readings')
        .select(['seq', 'sensor_id', 'location_id', 'ts', 'temp_c', 'rh', 'quality', 'received_at'])
        .where('gateway_id', '=', gw)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(BASELINE_BATCH)
        .execute()) as ReadingRow[];
      if (page.length === 0) break;
      const seqs = page.map((r) => Number(r.seq));
      const row = {
        gateway_id: gw,
        batch_index: ++index,
        from_seq: seqs[0]!,
        to_seq: seqs[seqs.length - 1]!,
        seqs: encodeSpans(seqs),
        count: seqs.length,
        digest: readingsDigest(gw, page),
        created_at: Math.max(...page.map((r) => Number(r.received_at))),
      };
      chain = digestChainHash(chain, row);
      await db
        .insertInto('reading_digests')
        .values({ ...row, chain })
        .execute();
      after = seqs[seqs.length - 1]!;
      if (page.length < BASELINE_BATCH) break;
    }
  }
}
