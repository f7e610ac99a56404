import type { Kysely } from 'kysely';
import type { ArchivedReading } from '../domain/reading-archive-format.js';
import { decodeSpans, type ReadingRow, readingsDigest } from '../domain/reading-digests.js';
import { readArchiveFile } from './archive-file.js';
import type { Database } from './schema.js';

/** What proving an archive's readings against the reading digests found. */
export interface ArchiveDigestProof {
  /** Batches whose digest was recomputed and matched (with readings outside the month from the table). */
  batches: number;
  /** Readings of the archive in no digested batch. */
  undigested: number;
  problems: string[];
}

/**
 * Proves an archive's readings are those ingest stored (docs/architecture.md "Audit trail", reading
 * digests): every batch with a reading in the file gets its digest recomputed from the file's readings and,
 * for a batch that straddles the month, the table's readings of it outside the month. A file replaced along
 * with its record and audit entry still fails here, against the digest chain the checkpoints sign. Holds one
 * gateway's readings of the month in memory at a time.
 */
export async function proveArchiveDigests(
  db: Kysely<Database>,
  path: string,
  period: { fromTs: number; toTs: number },
): Promise<ArchiveDigestProof> {
  const proof: ArchiveDigestProof = { batches: 0, undigested: 0, problems: [] };
  let gateway: string | undefined;
  let rows = new Map<number, ArchivedReading>();
  const flush = async () => {
    if (gateway !== undefined && rows.size > 0) await proveGateway(db, gateway, rows, period, proof);
    rows = new Map();
  };
  await readArchiveFile(path, async (r) => {
    if (r.gateway_id !== gateway) {
      await flush();
      gateway = r.gateway_id;
    }
    rows.set(r.seq, r);
  });
  await flush();
  return proof;
}

/** A gateway's digest rows whose seq range meets the seqs of `rows` (an archive's readings of it), in order. */
export async function digestBatchesOf(db: Kysely<Database>, gw: string, rows: ReadonlyMap<number, unknown>) {
  // A loop, not Math.max(...seqs): a gateway's month is far more readings than a call's arguments.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of rows.keys()) {
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  return db
    .selectFrom('reading_digests')
    .selectAll()
    .where('gateway_id', '=', gw)
    .where('from_seq', '<=', hi)
    .where('to_seq', '>=', lo)
    .orderBy('batch_index')
    .execute();
}

async function proveGateway(
  db: Kysely<Database>,
  gw: string,
  rows: Map<number, ArchivedReading>,
  period: { fromTs: number; toTs: number },
  proof: ArchiveDigestProof,
): Promise<void> {
  const batches = await digestBatchesOf(db, gw, rows);
  let covered = 0;
  for (const b of batches) {
    const spans = decodeSpans(b.seqs);
    const mine: ReadingRow[] = [];
    const missing: number[] = [];
    for (const [from, to] of spans)
      for (let s = from; s <= to; s++) {
        const r = rows.get(s);
        if (r) mine.push(r);
        else missing.push(s);
      }
    if (mine.length === 0) continue;
    covered += mine.length;
    const index = Number(b.batch_index);
    if (missing.length > 0) {
      // A batch across the month's edge: its other readings are in the table (or another archive).
      const rest = (await db
        .selectFrom('readings')
        .select(['seq', 'sensor_id', 'location_id', 'ts', 'temp_c', 'rh', 'quality', 'received_at'])
        .where('gateway_id', '=', gw)
        .where('seq', 'in', missing)
        .execute()) as ReadingRow[];
      const outside = rest.filter((r) => Number(r.ts) < period.fromTs || Number(r.ts) >= period.toTs);
      if (outside.length < missing.length) {
        proof.problems.push(
          `gateway ${gw} batch ${index}: ${missing.length - outside.length} of its readings are neither in the archive nor stored outside the month`,
        );
        continue;
      }
      mine.push(...outside);
      mine.sort((x, y) => Number(x.seq) - Number(y.seq));
    }
    if (readingsDigest(gw, mine) !== b.digest)
      proof.problems.push(`gateway ${gw} batch ${index}: the readings do not match the batch's digest`);
    else proof.batches++;
  }
  if (covered < rows.size) {
    proof.undigested += rows.size - covered;
    proof.problems.push(
      `gateway ${gw}: ${rows.size - covered} readings of the archive are in no digested batch`,
    );
  }
}
