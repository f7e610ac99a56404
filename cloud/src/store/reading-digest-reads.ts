import type { Kysely } from 'kysely';
import {
  GatewayDigestCheck,
  MAX_FINDINGS,
  type ReadingDigestReport,
} from '../domain/reading-digest-check.js';
import {
  type DigestHead,
  decodeSpans,
  type ReadingDigestRow,
  type ReadingRow,
} from '../domain/reading-digests.js';
import type { Database } from './schema.js';

const PAGE = 1000;

/**
 * `audit verify --readings` (docs/architecture.md "Audit trail", reading digests): every gateway's digest
 * chain, batch by batch, each batch's digest recomputed from the readings stored in its spans, and the
 * readings no batch covers. Reads page by page; one query per batch for its readings.
 */
export async function verifyReadingDigests(db: Kysely<Database>): Promise<ReadingDigestReport> {
  const gateways = await gatewaysWithReadings(db);
  const report: ReadingDigestReport = {
    ok: true,
    gateways: 0,
    batches: 0,
    readings: 0,
    deleted: {},
    findings: [],
  };
  const audited = await auditedDeletions(db);
  for (const gw of gateways) {
    const check = new GatewayDigestCheck(gw);
    const deletions = new Map(
      (await db.selectFrom('reading_deletions').selectAll().where('gateway_id', '=', gw).execute()).map(
        (d) => [
          Number(d.batch_index),
          { ...d, audited: audited.has(`${d.archive_id}|${gw}|${Number(d.batch_index)}`) },
        ],
      ),
    );
    const seen = new Set<number>();
    let after = 0;
    for (;;) {
      const rows = await db
        .selectFrom('reading_digests')
        .selectAll()
        .where('gateway_id', '=', gw)
        .where('batch_index', '>', after)
        .orderBy('batch_index')
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        const readings = (await db
          .selectFrom('readings')
          .select(['seq', 'sensor_id', 'location_id', 'ts', 'temp_c', 'rh', 'quality', 'received_at'])
          .where('gateway_id', '=', gw)
          .where('seq', '>=', row.from_seq)
          .where('seq', '<=', row.to_seq)
          .orderBy('seq')
          .execute()) as ReadingRow[];
        check.batch(row, readings, deletions.get(Number(row.batch_index)));
        seen.add(Number(row.batch_index));
      }
      if (rows.length < PAGE) break;
      after = Number(rows[rows.length - 1]!.batch_index);
    }
    for (const [index, d] of deletions) if (!seen.has(index)) check.orphanDeletion(index, d);
    const stored = await db
      .selectFrom('readings')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('gateway_id', '=', gw)
      .executeTakeFirstOrThrow();
    check.finish(Number(stored.n));
    report.gateways++;
    report.batches += check.batches;
    report.readings += check.readings;
    for (const [archive, n] of Object.entries(check.deleted))
      report.deleted[archive] = (report.deleted[archive] ?? 0) + n;
    for (const f of check.findings) if (report.findings.length < MAX_FINDINGS) report.findings.push(f);
    if (check.findings.length > 0) report.ok = false;
  }
  return report;
}

/** `archive|gateway|batch` of every batch a `readings.deleted` audit entry names (store/reading-prune.ts). */
async function auditedDeletions(db: Kysely<Database>): Promise<Set<string>> {
  const out = new Set<string>();
  const entries = await db
    .selectFrom('audit_log')
    .select(['entity_id', 'after_json'])
    .where('action', '=', 'readings.deleted')
    .execute();
  for (const e of entries) {
    const after = JSON.parse(e.after_json ?? '{}') as { gateway?: string; batches?: string };
    if (typeof after.gateway !== 'string' || typeof after.batches !== 'string') continue;
    for (const [from, to] of decodeSpans(after.batches))
      for (let i = from; i <= to; i++) out.add(`${e.entity_id}|${after.gateway}|${i}`);
  }
  return out;
}

async function gatewaysWithReadings(db: Kysely<Database>): Promise<string[]> {
  const [a, b, c] = await Promise.all([
    db.selectFrom('reading_digests').select('gateway_id').distinct().execute(),
    db.selectFrom('readings').select('gateway_id').distinct().execute(),
    db.selectFrom('reading_deletions').select('gateway_id').distinct().execute(),
  ]);
  return [...new Set([...a, ...b, ...c].map((r) => r.gateway_id))].sort();
}

/** Each gateway's newest digest (index and chain): what a checkpoint signs beside the audit head. */
export async function readingDigestHeads(db: Kysely<Database>): Promise<DigestHead[]> {
  const rows = await db
    .selectFrom('reading_digests as d')
    .select(['d.gateway_id', 'd.batch_index', 'd.chain'])
    .where(({ eb, selectFrom }) =>
      eb(
        'd.batch_index',
        '=',
        selectFrom('reading_digests as m')
          .select((e) => e.fn.max('m.batch_index').as('mx'))
          .whereRef('m.gateway_id', '=', 'd.gateway_id'),
      ),
    )
    .orderBy('d.gateway_id')
    .execute();
  return rows.map((r) => ({ gateway: r.gateway_id, batches: Number(r.batch_index), chain: r.chain }));
}

/** The digest row of a gateway's batch `index`, if stored (checkpoint verification). */
export async function readingDigestAt(
  db: Kysely<Database>,
  gateway: string,
  index: number,
): Promise<Pick<ReadingDigestRow, 'chain'> | undefined> {
  return db
    .selectFrom('reading_digests')
    .select('chain')
    .where('gateway_id', '=', gateway)
    .where('batch_index', '=', index)
    .executeTakeFirst();
}
