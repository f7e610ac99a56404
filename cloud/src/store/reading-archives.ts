import { createHash } from 'node:crypto';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import {
  ARCHIVE_COLUMNS,
  type ArchivedReading,
  type ArchiveHeader,
  archiveFileName,
  archiveId,
  headerText,
  monthPeriod,
  readingText,
  trailerText,
} from '../domain/reading-archive-format.js';
import { proveArchiveDigests } from './archive-digest-proof.js';
import { type ArchiveFileRead, readArchiveFile, writeAtomically } from './archive-file.js';
import { appendAudit } from './audit-append.js';
import { pgInsertReadingRows } from './ingest/pg-reading-rows.js';
import { widenLocationSensors } from './location-sensors.js';
import { onPostgres } from './pg-arrays.js';
import type { Database, ReadingArchivesTable } from './schema.js';
import { insertSqliteReadings } from './sqlite-reading-rows.js';

/**
 * Archives of raw readings (docs/operations.md "Archives of raw readings"): a calendar month (UTC) of
 * `readings` exported to a gzip NDJSON file written atomically, read back and checked, its SHA-256 and row
 * count recorded in `reading_archives` and on the audit trail (`readings.archived`); verified against both;
 * restored idempotently (`readings.restored`).
 */

const PAGE = 5000;
const ENTITY = 'reading_archive';

export type ReadingArchive = ReadingArchivesTable;

/** Every reading of the period, by gateway (JavaScript order, as the file keeps them) then stored seq. */
async function* periodText(
  db: Kysely<Database>,
  h: ArchiveHeader,
  out: { rows: number; content: ReturnType<typeof createHash> },
): AsyncGenerator<string> {
  const emit = (t: string) => {
    out.content.update(t);
    return t;
  };
  yield emit(headerText(h));
  const gateways = (
    await db
      .selectFrom('readings')
      .select('gateway_id')
      .distinct()
      .where('ts', '>=', h.fromTs)
      .where('ts', '<', h.toTs)
      .execute()
  )
    .map((r) => r.gateway_id)
    .sort();
  for (const gw of gateways) {
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const page = await db
        .selectFrom('readings')
        .select([...ARCHIVE_COLUMNS])
        .where('gateway_id', '=', gw)
        .where('seq', '>', after)
        .where('ts', '>=', h.fromTs)
        .where('ts', '<', h.toTs)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      if (page.length > 0) yield emit(page.map(readingText).join(''));
      out.rows += page.length;
      if (page.length < PAGE) break;
      after = Number(page[page.length - 1]!.seq);
    }
  }
  yield emit(trailerText(out.rows));
}

export interface CreateArchiveInput {
  period: string;
  dir: string;
  actor: string;
  now: number;
}

/**
 * Exports the month `period` to `dir`, reads the file back and checks it against what was exported, then
 * records it and its SHA-256 on the audit trail in one transaction. Refuses a period already archived and
 * an existing file. The archive holds the readings stored when it was made.
 */
export async function createReadingArchive(
  db: Kysely<Database>,
  input: CreateArchiveInput,
): Promise<ReadingArchive> {
  const h = monthPeriod(input.period);
  const id = archiveId(h.period);
  const existing = await db
    .selectFrom('reading_archives')
    .select('id')
    .where('period', '=', h.period)
    .executeTakeFirst();
  if (existing) throw new Error(`${h.period} is already archived as ${existing.id}`);
  await mkdir(input.dir, { recursive: true });
  const path = join(resolve(input.dir), archiveFileName(h.period));
  const out = { rows: 0, content: createHash('sha256') };
  try {
    await stat(path);
    throw new Error(
      `${path} exists without a record (a create that did not finish?): check it, move it away and run again`,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeAtomically(path, periodText(db, h, out));
  const exportedContent = out.content.digest('hex');
  let read: ArchiveFileRead;
  try {
    read = await readArchiveFile(path);
    if (read.rows !== out.rows || read.contentSha256 !== exportedContent || read.period !== h.period)
      throw new Error('the file read back differs from the readings exported');
    // Readings that fail their digests are a finding to investigate (`audit verify --readings`), not to archive.
    const proof = await proveArchiveDigests(db, path, h);
    if (proof.problems.length > 0) throw new Error(proof.problems.join('; '));
  } catch (err) {
    await unlink(path).catch(() => {});
    throw new Error(`archive ${id} failed its check after writing: ${(err as Error).message}`);
  }
  const row: ReadingArchive = {
    id,
    period: h.period,
    from_ts: h.fromTs,
    to_ts: h.toTs,
    path,
    sha256: read.sha256,
    rows: read.rows,
    bytes: read.bytes,
    created_at: input.now,
    created_by: input.actor,
  };
  await db
    .transaction()
    .execute(async (trx) => {
      await trx.insertInto('reading_archives').values(row).execute();
      await appendAudit(
        trx,
        [
          {
            actor: input.actor,
            action: 'readings.archived',
            entityType: ENTITY,
            entityId: id,
            after: auditedFields(row),
            reason: `raw readings of ${h.period} (UTC) exported to ${basename(path)}`,
          },
        ],
        input.now,
      );
    })
    .catch(async (err: unknown) => {
      // Not recorded (another cloud recorded the month meanwhile): no file without its record. A commit
      // whose answer was lost did record it: that file stays.
      const recorded = await readingArchive(db, id).catch(() => undefined);
      if (recorded?.sha256 !== row.sha256) await unlink(path).catch(() => {});
      throw err;
    });
  return row;
}

/** What the audit entry of an archive states: enough to check the file without the table. */
function auditedFields(a: ReadingArchive) {
  return {
    period: a.period,
    fromTs: Number(a.from_ts),
    toTs: Number(a.to_ts),
    file: basename(a.path),
    sha256: a.sha256,
    rows: Number(a.rows),
    bytes: Number(a.bytes),
  };
}

const numeric = (a: ReadingArchive): ReadingArchive => ({
  ...a,
  from_ts: Number(a.from_ts),
  to_ts: Number(a.to_ts),
  rows: Number(a.rows),
  bytes: Number(a.bytes),
  created_at: Number(a.created_at),
});

export async function listReadingArchives(db: Kysely<Database>): Promise<ReadingArchive[]> {
  const rows = await db.selectFrom('reading_archives').selectAll().orderBy('period').execute();
  return rows.map(numeric);
}

export async function readingArchive(db: Kysely<Database>, id: string): Promise<ReadingArchive | undefined> {
  const row = await db.selectFrom('reading_archives').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numeric(row);
}

/** Where an archive's file is: its recorded path, or its file name in `dir` (archives moved elsewhere). */
export const archivePath = (a: ReadingArchive, dir?: string) => (dir ? join(dir, basename(a.path)) : a.path);

export interface ArchiveCheck {
  id: string;
  period: string;
  ok: boolean;
  /** Digest batches the archive's readings were proven against (`proveArchiveDigests`). */
  batches: number;
  problems: string[];
}

/**
 * Checks an archive: its file reads through (format, order, trailer), its SHA-256, size, rows and period are
 * those recorded in `reading_archives`, and those in turn are what its `readings.archived` audit entry
 * states (the table alone could be edited along with the file; `audit verify` proves the trail); then its
 * readings are proven against the reading digests (`proveArchiveDigests`).
 */
export async function verifyReadingArchive(
  db: Kysely<Database>,
  a: ReadingArchive,
  dir?: string,
): Promise<ArchiveCheck> {
  const problems: string[] = [];
  const entries = await db
    .selectFrom('audit_log')
    .select('after_json')
    .where('action', '=', 'readings.archived')
    .where('entity_type', '=', ENTITY)
    .where('entity_id', '=', a.id)
    .execute();
  const expected = JSON.stringify(auditedFields(a));
  if (entries.length !== 1) problems.push(`${entries.length} readings.archived audit entries (expected 1)`);
  else if (canonical(entries[0]!.after_json) !== canonical(expected))
    problems.push('the archive row differs from its readings.archived audit entry');
  const path = archivePath(a, dir);
  let batches = 0;
  try {
    await stat(path);
    const read = await readArchiveFile(path);
    if (read.sha256 !== a.sha256)
      problems.push(`SHA-256 ${read.sha256} differs from the recorded ${a.sha256}`);
    if (read.rows !== a.rows) problems.push(`${read.rows} readings, ${a.rows} recorded`);
    if (read.bytes !== a.bytes) problems.push(`${read.bytes} bytes, ${a.bytes} recorded`);
    if (read.period !== a.period) problems.push(`the file holds ${read.period}, not ${a.period}`);
    if (problems.length === 0) {
      const proof = await proveArchiveDigests(db, path, { fromTs: a.from_ts, toTs: a.to_ts });
      batches = proof.batches;
      problems.push(...proof.problems);
    }
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
  }
  return { id: a.id, period: a.period, ok: problems.length === 0, batches, problems };
}

/** Throws unless `verifyReadingArchive` finds the archive intact (restore and prune start with it). */
export async function verifiedArchive(db: Kysely<Database>, a: ReadingArchive, dir?: string): Promise<void> {
  const check = await verifyReadingArchive(db, a, dir);
  if (!check.ok) throw new Error(`archive ${a.id} failed verification: ${check.problems.join('; ')}`);
}

const canonical = (json: string | null) => {
  if (json === null) return '';
  const v = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))));
};

export interface RestoreResult {
  id: string;
  rows: number;
  /** Readings put back. */
  inserted: number;
  /** Readings of the archive the table still held (left as they are). */
  present: number;
  /** Records of batches `archive prune` deleted, cleared now that their readings are back (0036). */
  cleared: number;
}

/**
 * Puts an archive's readings back into `readings` after verifying it (a changed file is refused), in chunks
 * that each insert what is missing and leave what is there: restoring twice inserts nothing the second time.
 * Audited as `readings.restored` with the counts.
 */
export async function restoreReadingArchive(
  db: Kysely<Database>,
  a: ReadingArchive,
  o: { actor: string; now: number; dir?: string | undefined },
): Promise<RestoreResult> {
  await verifiedArchive(db, a, o.dir);
  let inserted = 0;
  let chunk: ArchivedReading[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const rows = chunk;
    // The readings put back and the sensor spans covering them (location_sensors, 0042) in one transaction.
    const r = await db.transaction().execute(async (trx) => {
      // Compact rows behind a view (0043, 0044), which takes no ON CONFLICT.
      const done = onPostgres(trx)
        ? await pgInsertReadingRows(trx, rows)
        : (await insertSqliteReadings(trx, rows)).length;
      await widenLocationSensors(trx, rows);
      return done;
    });
    inserted += r;
    chunk = [];
  };
  const read = await readArchiveFile(archivePath(a, o.dir), async (row) => {
    chunk.push(row);
    if (chunk.length >= 500) await flush();
  });
  await flush();
  // The file was verified above; one read later it must still be the same file.
  if (read.sha256 !== a.sha256) throw new Error(`archive ${a.id} changed while it was restored`);
  const result = { id: a.id, rows: read.rows, inserted, present: read.rows - inserted, cleared: 0 };
  await db.transaction().execute(async (trx) => {
    // Every batch `archive prune` deleted lies wholly in the archive: all of it is stored again.
    await trx.deleteFrom('reading_deletion_spans').where('archive_id', '=', a.id).execute();
    const cleared = await trx
      .deleteFrom('reading_deletions')
      .where('archive_id', '=', a.id)
      .executeTakeFirst();
    result.cleared = Number(cleared.numDeletedRows);
    await appendAudit(
      trx,
      [
        {
          actor: o.actor,
          action: 'readings.restored',
          entityType: ENTITY,
          entityId: a.id,
          after: {
            period: a.period,
            sha256: a.sha256,
            rows: read.rows,
            inserted,
            present: result.present,
            deletionsCleared: result.cleared,
          },
          reason: `raw readings of ${a.period} (UTC) restored from ${basename(a.path)}`,
        },
      ],
      o.now,
    );
  });
  return result;
}
