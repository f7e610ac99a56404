import { type Kysely, sql } from 'kysely';
import type { ClaimedMarks } from '../domain/derive-repo.js';
import type { MarkWindow } from '../domain/ingest/ingest-plan.js';
import { onPostgres, pgAnyOf } from './pg-arrays.js';
import type { EvaluationMarksTable } from './schema.js';

/**
 * Durable evaluation marks (migration 0006, docs/domain.md "Evaluation marks"): what the domain engine
 * still has to recompute. Written in the transaction that commits the events (or the limit change) that
 * make the recomputation necessary; claimed and deleted by the derive transaction that covers them. So
 * derived state stays a function of the accepted events even when the process dies between an
 * acknowledged commit and its evaluation: whatever marks remain are reconciled at the next start.
 */
export type MarksDb = Kysely<{ evaluation_marks: EvaluationMarksTable }>;

/** Any Kysely handle (or transaction) over a schema that has `evaluation_marks`. */
export const marksDb = (db: unknown): MarksDb => db as MarksDb;

export type MarkKind = 'location' | 'epc' | 'product';

export type { MarkWindow };

/** Rows per INSERT/DELETE statement (SQLite bound-parameter limit). */
const CHUNK = 200;
/** A list as statements' lists: whole on PostgreSQL (one array parameter, pg-arrays.ts), else `CHUNK` at a time. */
function lists<T>(pg: boolean, items: readonly T[]): (readonly T[])[] {
  if (pg) return items.length ? [items] : [];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Marks a location's history (new master data: all of it; a new limit version: from its effectiveFrom on,
 * docs/domain.md "Effective-dated specifications"), with the change as cause.
 */
export async function insertHistoryMark(
  db: MarksDb,
  locationId: string,
  cause: string | null,
  now: number,
  /** From when (a new specification version's effectiveFrom); the whole history when absent or −Infinity. */
  fromTs?: number,
): Promise<void> {
  const from = fromTs !== undefined && Number.isFinite(fromTs) ? fromTs : null;
  await db
    .insertInto('evaluation_marks')
    .values({ kind: 'location', subject: locationId, from_ts: from, to_ts: null, cause, created_at: now })
    .execute();
}

export type { ClaimedMarks };

/**
 * The marks of these subjects as committed now. Called inside a derive transaction before anything is
 * read: every event whose mark is claimed was committed with it, so the reads that follow see it; the
 * claimed ids (not "all marks of the subject") are deleted at the end, so a mark committed meanwhile by
 * another ingestor process stays for its own recomputation.
 */
export async function claimMarks(
  db: MarksDb,
  kind: MarkKind,
  subjects: readonly string[],
): Promise<ClaimedMarks> {
  const out: ClaimedMarks = {
    ids: [],
    window: { fromTs: Number.POSITIVE_INFINITY, toTs: Number.NEGATIVE_INFINITY },
    causes: [],
    events: false,
  };
  const pg = onPostgres(db);
  for (const part of lists(pg, subjects)) {
    const rows = await db
      .selectFrom('evaluation_marks')
      .select(['id', 'from_ts', 'to_ts', 'cause'])
      .where('kind', '=', kind)
      .where(pg ? pgAnyOf('subject', 'text', part) : (eb) => eb('subject', 'in', part))
      .orderBy('id')
      .execute();
    for (const r of rows) {
      out.ids.push(Number(r.id));
      const from = r.from_ts ?? Number.NEGATIVE_INFINITY;
      const to = r.to_ts ?? Number.POSITIVE_INFINITY;
      if (from < out.window.fromTs) out.window.fromTs = from;
      if (to > out.window.toTs) out.window.toTs = to;
      if (r.cause === null) out.events = true;
      else if (!out.causes.includes(r.cause)) out.causes.push(r.cause);
    }
  }
  return out;
}

export async function deleteMarks(db: MarksDb, ids: readonly number[]): Promise<void> {
  const pg = onPostgres(db);
  for (const part of lists(pg, [...new Set(ids)]))
    await db
      .deleteFrom('evaluation_marks')
      .where(pg ? pgAnyOf('id', 'bigint', part) : (eb) => eb('id', 'in', part))
      .execute();
}

export interface PendingMarks {
  /** Per location, the union of its marks' windows (±Infinity = unbounded). */
  locations: Map<string, MarkWindow>;
  epcs: Set<string>;
  /** Products whose rules changed (their units' cumulative rules are re-evaluated). */
  products: Set<string>;
  rows: number;
}

/**
 * Every mark not yet cleared (optionally only those created before a time, and only those without owner or
 * owned by `ownedBy`: 0029), aggregated per subject in the database (a long backlog is many rows): what a
 * start reconciles.
 */
export async function pendingMarks(
  db: MarksDb,
  createdBefore?: number,
  ownedBy?: string,
): Promise<PendingMarks> {
  let q = db
    .selectFrom('evaluation_marks')
    .select((eb) => [
      'kind',
      'subject',
      eb.fn.min('from_ts').as('lo'),
      eb.fn.max('to_ts').as('hi'),
      sql<number>`sum(case when from_ts is null then 1 else 0 end)`.as('open_lo'),
      sql<number>`sum(case when to_ts is null then 1 else 0 end)`.as('open_hi'),
      eb.fn.countAll<number>().as('n'),
    ])
    .groupBy(['kind', 'subject']);
  if (createdBefore !== undefined) q = q.where('created_at', '<', createdBefore);
  if (ownedBy !== undefined) q = q.where((eb) => eb.or([eb('owner', 'is', null), eb('owner', '=', ownedBy)]));
  const out: PendingMarks = { locations: new Map(), epcs: new Set(), products: new Set(), rows: 0 };
  for (const r of await q.execute()) {
    out.rows += Number(r.n);
    if (r.kind === 'epc') out.epcs.add(r.subject);
    else if (r.kind === 'product') out.products.add(r.subject);
    else {
      out.locations.set(r.subject, {
        fromTs: Number(r.open_lo) > 0 || r.lo === null ? Number.NEGATIVE_INFINITY : Number(r.lo),
        toTs: Number(r.open_hi) > 0 || r.hi === null ? Number.POSITIVE_INFINITY : Number(r.hi),
      });
    }
  }
  return out;
}

/** The same aggregation as `pendingMarks`, of mark rows already read (the marks taken from a dead node). */
export function pendingOf(
  rows: ReadonlyArray<{ kind: string; subject: string; from_ts: number | null; to_ts: number | null }>,
): PendingMarks {
  const out: PendingMarks = { locations: new Map(), epcs: new Set(), products: new Set(), rows: rows.length };
  for (const r of rows) {
    if (r.kind === 'epc') out.epcs.add(r.subject);
    else if (r.kind === 'product') out.products.add(r.subject);
    else {
      const cur = out.locations.get(r.subject);
      const from = r.from_ts ?? Number.NEGATIVE_INFINITY;
      const to = r.to_ts ?? Number.POSITIVE_INFINITY;
      out.locations.set(r.subject, {
        fromTs: Math.min(from, cur?.fromTs ?? from),
        toTs: Math.max(to, cur?.toTs ?? to),
      });
    }
  }
  return out;
}

/** Marks these subjects (EPCs commissioned to a lot, a product whose rules changed) for recomputation. */
export async function insertMarks(
  db: MarksDb,
  kind: MarkKind,
  subjects: readonly string[],
  cause: string | null,
  now: number,
): Promise<void> {
  const rows = [...new Set(subjects)].map((subject) => ({
    kind,
    subject,
    from_ts: null,
    to_ts: null,
    cause,
    created_at: now,
  }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('evaluation_marks')
      .values(rows.slice(i, i + CHUNK))
      .execute();
  }
}
