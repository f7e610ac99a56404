import { ColdtraceError } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import {
  planVersion,
  type SpecVersion,
  type VersionKind,
  type VersionPlan,
  type VersionRequest,
} from '../domain/spec-versions.js';
import type { DomainDatabase, SpecVersionsTable } from './schema.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;
export type SpecSubject = SpecVersionsTable['subject_kind'];

/** One stored version with how it came about (the history the versions endpoints show). */
export interface StoredSpecVersion<S> extends SpecVersion<S> {
  kind: VersionKind;
  /** The version that replaced it; null while in force. */
  replacedBy: number | null;
  /** Wall-clock time it was made. */
  createdAt: number;
  actor: string;
  reason: string;
}

const toMs = (v: number | null) => (v === null ? Number.NEGATIVE_INFINITY : Number(v));
const fromMs = (v: number) => (Number.isFinite(v) ? v : null);

/** Every version of a subject, oldest first (docs/domain.md "Effective-dated specifications"). */
export async function specHistory<S>(
  db: Db,
  subject: SpecSubject,
  id: string,
): Promise<StoredSpecVersion<S>[]> {
  const rows = await db
    .selectFrom('spec_versions')
    .selectAll()
    .where('subject_kind', '=', subject)
    .where('subject_id', '=', id)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    version: Number(r.version),
    effectiveFrom: toMs(r.effective_from),
    spec: JSON.parse(r.spec_json) as S,
    kind: r.kind,
    replacedBy: r.replaced_by === null ? null : Number(r.replaced_by),
    createdAt: Number(r.created_at),
    actor: r.actor,
    reason: r.reason,
  }));
}

/** The versions in force (none replaced): what evaluation uses. */
export async function specsInForce<S>(db: Db, subject: SpecSubject, id: string): Promise<SpecVersion<S>[]> {
  return (await specHistory<S>(db, subject, id))
    .filter((v) => v.replacedBy === null)
    .map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom, spec: v.spec }));
}

export interface VersionWrite {
  /** Wall-clock time of the person's action (or the seeding program's). */
  at: number;
  actor: string;
  reason: string;
}

/** Records a subject's first version, in force from the beginning. */
export async function insertInitialVersion<S>(
  trx: Transaction<DomainDatabase>,
  subject: SpecSubject,
  id: string,
  spec: S,
  w: VersionWrite,
): Promise<void> {
  await trx
    .insertInto('spec_versions')
    .values({
      subject_kind: subject,
      subject_id: id,
      version: 1,
      effective_from: null,
      spec_json: JSON.stringify(spec),
      kind: 'initial',
      replaced_by: null,
      created_at: w.at,
      actor: w.actor,
      reason: w.reason,
    })
    .execute();
}

/**
 * Plans (`planVersion`: refuses an ordinary change taking effect in the past) and records a new version,
 * marking the versions it replaces, in the caller's transaction.
 */
export async function addVersion<S>(
  trx: Transaction<DomainDatabase>,
  subject: SpecSubject,
  id: string,
  request: VersionRequest<S>,
  w: VersionWrite,
): Promise<VersionPlan<S>> {
  const history = await specHistory<S>(trx, subject, id);
  const plan = planVersion(
    history.filter((v) => v.replacedBy === null),
    history.length,
    request,
  );
  try {
    await trx
      .insertInto('spec_versions')
      .values({
        subject_kind: subject,
        subject_id: id,
        version: plan.next.version,
        effective_from: fromMs(plan.next.effectiveFrom),
        spec_json: JSON.stringify(plan.next.spec),
        kind: request.kind,
        replaced_by: null,
        created_at: w.at,
        actor: w.actor,
        reason: w.reason,
      })
      .execute();
  } catch (err) {
    // Two changes signed at the same moment both planned version n+1: the second to commit meets the
    // first's row (PostgreSQL; SQLite serialises writers). It is refused, nothing written: sign it again.
    if (isUniqueViolation(err))
      throw new ColdtraceError(
        'conflict',
        `${subject} ${id} was changed by another signed change at the same moment; reload and sign again`,
      );
    throw err;
  }
  if (plan.replaced.length > 0) {
    await trx
      .updateTable('spec_versions')
      .set({ replaced_by: plan.next.version })
      .where('subject_kind', '=', subject)
      .where('subject_id', '=', id)
      .where('version', 'in', plan.replaced)
      .execute();
  }
  return plan;
}

/** A primary-key or unique violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_PRIMARYKEY/UNIQUE). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
