import { basename } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { ArchivedReading } from '../domain/reading-archive-format.js';
import { decodeSpans, encodeSpans } from '../domain/reading-digests.js';
import {
  KEEP_REASONS,
  type KeepReason,
  keepReason,
  type LocationFacts,
  locationSpans,
} from '../domain/reading-retention.js';
import { digestBatchesOf } from './archive-digest-proof.js';
import { readArchiveFile } from './archive-file.js';
import { appendAudit } from './audit-append.js';
import { pgDeleteReadings } from './ingest/pg-reading-rows.js';
import { onPostgres } from './pg-arrays.js';
import { archivePath, type ReadingArchive, verifiedArchive } from './reading-archives.js';
import type { Database } from './schema.js';
import { deleteSqliteReadings } from './sqlite-reading-rows.js';

/**
 * Deleting the raw readings of a verified archive (docs/operations.md "Deleting archived readings"):
 * whole digest batches, each proven from the archive file, kept when `keepReason` says so; deleted in
 * short transactions of `chunkBatches` batches that re-decide against what is stored at that moment,
 * record each batch in `reading_deletions` (and its span per location) and write one `readings.deleted`
 * audit entry per chunk.
 */

export interface PruneResult {
  id: string;
  /** Batches deleted now, and their readings. */
  batches: number;
  readings: number;
  /** Batches of the archive already deleted before. */
  already: number;
  kept: Record<KeepReason, number>;
}

interface Candidate {
  gateway: string;
  index: number;
  from_seq: number;
  to_seq: number;
  seqs: string;
  readings: ArchivedReading[];
}

const ENTITY = 'reading_archive';
const IN_CHUNK = 500;

export async function pruneReadingArchive(
  db: Kysely<Database>,
  a: ReadingArchive,
  o: { actor: string; now: number; dir?: string | undefined; chunkBatches?: number },
): Promise<PruneResult> {
  // A changed file, record or audit entry, or readings no longer matching their digests: nothing goes.
  await verifiedArchive(db, a, o.dir);
  const result: PruneResult = {
    id: a.id,
    batches: 0,
    readings: 0,
    already: 0,
    kept: Object.fromEntries(KEEP_REASONS.map((k) => [k, 0])) as Record<KeepReason, number>,
  };
  let gateway: string | undefined;
  let rows = new Map<number, ArchivedReading>();
  const flush = async () => {
    if (gateway !== undefined && rows.size > 0) await pruneGateway(db, a, gateway, rows, o, result);
    rows = new Map();
  };
  const read = await readArchiveFile(archivePath(a, o.dir), async (r) => {
    if (r.gateway_id !== gateway) {
      await flush();
      gateway = r.gateway_id;
    }
    rows.set(Number(r.seq), r);
  });
  await flush();
  if (read.sha256 !== a.sha256) throw new Error(`archive ${a.id} changed while it was pruned`);
  return result;
}

/** One gateway's batches with a reading in the archive: those wholly in it are candidates, chunk by chunk. */
async function pruneGateway(
  db: Kysely<Database>,
  a: ReadingArchive,
  gw: string,
  rows: Map<number, ArchivedReading>,
  o: { actor: string; now: number; chunkBatches?: number },
  result: PruneResult,
): Promise<void> {
  const batches = await digestBatchesOf(db, gw, rows);
  const done = new Set(
    (
      await db.selectFrom('reading_deletions').select('batch_index').where('gateway_id', '=', gw).execute()
    ).map((r) => Number(r.batch_index)),
  );
  const candidates: Candidate[] = [];
  for (const b of batches) {
    const index = Number(b.batch_index);
    const mine: ArchivedReading[] = [];
    let outside = 0;
    for (const [from, to] of decodeSpans(b.seqs))
      for (let s = from; s <= to; s++) {
        const r = rows.get(s);
        if (r) mine.push(r);
        else outside++;
      }
    if (mine.length === 0) continue;
    if (done.has(index)) result.already++;
    else if (outside > 0) result.kept.outside_archive++;
    else
      candidates.push({
        gateway: gw,
        index,
        from_seq: Number(b.from_seq),
        to_seq: Number(b.to_seq),
        seqs: b.seqs,
        readings: mine,
      });
  }
  const size = o.chunkBatches ?? 100;
  for (let i = 0; i < candidates.length; i += size)
    await db.transaction().execute((trx) => pruneChunk(trx, a, candidates.slice(i, i + size), o, result));
}

async function pruneChunk(
  trx: Transaction<Database>,
  a: ReadingArchive,
  chunk: Candidate[],
  o: { actor: string; now: number },
  result: PruneResult,
): Promise<void> {
  const facts = await locationFacts(trx, chunk);
  const gone: Candidate[] = [];
  for (const c of chunk) {
    const why = keepReason(c.readings, (l) => facts.get(l)!);
    if (why) result.kept[why]++;
    else gone.push(c);
  }
  if (gone.length === 0) return;
  let readings = 0;
  // Compact rows behind a view (0043, 0044), deleted directly: SQLite counts no deletion through a view, and
  // PostgreSQL would run the view's trigger row by row.
  const sqlite = !onPostgres(trx);
  for (const c of gone) {
    const seqs = c.readings.map((r) => Number(r.seq));
    // The batch's times bound the delete to their partitions on PostgreSQL (migration 0040).
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const r of c.readings) {
      from = Math.min(from, Number(r.ts));
      to = Math.max(to, Number(r.ts));
    }
    let deleted = 0;
    for (let i = 0; i < seqs.length; i += IN_CHUNK) {
      if (sqlite) {
        deleted += await deleteSqliteReadings(trx, c.gateway, seqs.slice(i, i + IN_CHUNK));
        continue;
      }
      deleted += await pgDeleteReadings(trx, c.gateway, seqs.slice(i, i + IN_CHUNK), from, to);
    }
    // The batch was verified whole before; fewer rows now means it changed meanwhile: undo the chunk.
    if (deleted !== seqs.length)
      throw new Error(
        `gateway ${c.gateway} batch ${c.index}: ${deleted} of its ${seqs.length} readings were stored when deleted`,
      );
    readings += deleted;
    await trx
      .insertInto('reading_deletions')
      .values({
        gateway_id: c.gateway,
        batch_index: c.index,
        from_seq: c.from_seq,
        to_seq: c.to_seq,
        count: seqs.length,
        archive_id: a.id,
        deleted_at: o.now,
        deleted_by: o.actor,
      })
      .execute();
    await trx
      .insertInto('reading_deletion_spans')
      .values(
        locationSpans(c.readings).map((s) => ({
          ...s,
          gateway_id: c.gateway,
          batch_index: c.index,
          archive_id: a.id,
        })),
      )
      .execute();
  }
  await appendAudit(
    trx,
    [
      {
        actor: o.actor,
        action: 'readings.deleted',
        entityType: ENTITY,
        entityId: a.id,
        after: {
          archive: a.id,
          sha256: a.sha256,
          gateway: gone[0]!.gateway,
          batches: encodeSpans(gone.map((c) => c.index)),
          readings,
        },
        reason: `raw readings of ${a.period} (UTC) deleted: proven from ${basename(a.path)}`,
      },
    ],
    o.now,
  );
  result.batches += gone.length;
  result.readings += readings;
}

/** What `keepReason` needs of each location the chunk's readings are at, read in the chunk's transaction. */
async function locationFacts(
  trx: Transaction<Database>,
  chunk: Candidate[],
): Promise<Map<string, LocationFacts>> {
  const span = new Map<string, { lo: number; hi: number; sensors: Set<string> }>();
  for (const c of chunk)
    for (const r of c.readings) {
      const ts = Number(r.ts);
      const s = span.get(r.location_id) ?? { lo: ts, hi: ts, sensors: new Set<string>() };
      s.lo = Math.min(s.lo, ts);
      s.hi = Math.max(s.hi, ts);
      s.sensors.add(r.sensor_id);
      span.set(r.location_id, s);
    }
  const ids = [...span.keys()];
  const locations = new Map(
    (await trx.selectFrom('locations').select(['id', 'min_c', 'max_c']).where('id', 'in', ids).execute()).map(
      (l) => [l.id, l],
    ),
  );
  const marked = new Set(
    (
      await trx
        .selectFrom('evaluation_marks')
        .select('subject')
        .where('kind', '=', 'location')
        .where('subject', 'in', ids)
        .execute()
    ).map((m) => m.subject),
  );
  const out = new Map<string, LocationFacts>();
  for (const [id, s] of span) {
    const l = locations.get(id);
    const excursions = await trx
      .selectFrom('excursions')
      .select(['start_ts', 'end_ts', 'last_ts'])
      .where('location_id', '=', id)
      .execute();
    const custody = await trx
      .selectFrom('custody')
      .select(['entered_at', 'left_at'])
      .where('location_id', '=', id)
      .where('entered_at', '<=', s.hi)
      .where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>', s.lo)]))
      .execute();
    const lastInRange = new Map<string, number>();
    if (l)
      for (const r of await trx
        .selectFrom('readings')
        .select((eb) => ['sensor_id', eb.fn.max('ts').as('ts')])
        .where('location_id', '=', id)
        .where('sensor_id', 'in', [...s.sensors])
        .where('temp_c', '>=', l.min_c)
        .where('temp_c', '<=', l.max_c)
        .groupBy('sensor_id')
        .execute())
        lastInRange.set(r.sensor_id, Number(r.ts));
    out.set(id, { known: l !== undefined, pendingMarks: marked.has(id), excursions, custody, lastInRange });
  }
  return out;
}
