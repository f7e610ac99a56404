import { ColdtraceError } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import { type SignedChange, signatureRecord } from '../domain/e-signature.js';
import { appendAudit } from './audit-append.js';
import { insertHistoryMark, marksDb } from './evaluation-marks.js';
import type { ActorInput } from './master-actor.js';
import type { Database, LocationsTable } from './schema.js';

export type LocationInput = Omit<LocationsTable, 'created_at' | 'updated_at'>;
export type LocationLimits = Pick<
  LocationInput,
  'min_c' | 'max_c' | 'alarm_delay_ms' | 'critical_margin_c' | 'max_gap_ms'
>;

export interface LocationChange {
  action: 'location.created' | 'location.updated';
  /** For changed limits: the cause the derived audit entries name (who changed which limits, when). */
  cause: string | null;
}

export interface LocationWrite extends ActorInput {
  /**
   * Refuse (`forbidden`, nothing written) a change of an existing location's limits: the unsigned master-data
   * route, where limits change only through `changeLocationLimits`. Programs seeding master data omit it.
   */
  keepLimits?: boolean | undefined;
}

/** The fields a user sets; an upsert changing none of them is no change (not written, not audited). */
const FIELDS = [
  'name',
  'kind',
  'min_c',
  'max_c',
  'alarm_delay_ms',
  'critical_margin_c',
  'max_gap_ms',
] as const;
const LIMITS: ReadonlyArray<(typeof FIELDS)[number]> = FIELDS.filter((f) => f !== 'name' && f !== 'kind');

/**
 * Creates or updates a location, audited (actor, before/after, reason) in the same transaction. When it
 * is new or its limits changed, its whole history must be re-evaluated: an evaluation mark (0006) is
 * committed with the change, its cause naming who changed which limits, so the derived changes say they
 * follow that change, not late data (and, being a master-data change, hold the locks it would lift:
 * docs/architecture.md "Affected stock and locks"). The locations route evaluates at once; if the process
 * dies first, the mark is reconciled at the next start.
 */
export async function upsertLocation(
  db: Kysely<Database>,
  l: LocationInput,
  now: number,
  by: LocationWrite = {},
): Promise<LocationChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('locations').selectAll().where('id', '=', l.id).executeTakeFirst();
    if (before && by.keepLimits && LIMITS.some((f) => before[f] !== l[f])) {
      throw new ColdtraceError(
        'forbidden',
        `the limits of location ${l.id} change only with PUT /api/v1/locations/${l.id}/limits: role qa or admin, a reason and an e-signature (EU GMP Annex 11 §10, 21 CFR 11.200); nothing was changed`,
      );
    }
    return writeLocation(trx, before, l, now, by.actor ?? 'system', by.reason);
  });
}

/**
 * Changes the limits of an existing location (`not_found` otherwise) under an e-signature (EU GMP Annex
 * 11 §10 change control, 21 CFR 11.50): the audit entry carries signer, meaning and reason.
 */
export async function changeLocationLimits(
  db: Kysely<Database>,
  id: string,
  limits: LocationLimits,
  now: number,
  signed: SignedChange,
): Promise<LocationChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) throw new ColdtraceError('not_found', `location ${id} not found`);
    const l = { id, name: before.name, kind: before.kind, ...limits };
    return writeLocation(trx, before, l, now, signed.signer.username, signed.reason, signed);
  });
}

async function writeLocation(
  trx: Transaction<Database>,
  before: LocationsTable | undefined,
  l: LocationInput,
  now: number,
  actor: string,
  reason: string | undefined,
  signed?: SignedChange,
): Promise<LocationChange | undefined> {
  const changed = FIELDS.filter((f) => before?.[f] !== l[f]);
  if (before && changed.length === 0) return undefined;
  await trx
    .insertInto('locations')
    .values({ ...l, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        name: l.name,
        kind: l.kind,
        min_c: l.min_c,
        max_c: l.max_c,
        alarm_delay_ms: l.alarm_delay_ms,
        critical_margin_c: l.critical_margin_c,
        max_gap_ms: l.max_gap_ms,
        updated_at: now,
      }),
    )
    .execute();
  const limits = changed.filter((f) => LIMITS.includes(f));
  const cause =
    before && limits.length
      ? `limits of location ${l.id} changed by ${actor} at ${new Date(now).toISOString()} (${limits
          .map((f) => `${f} ${before[f]} → ${l[f]}`)
          .join(', ')})`
      : null;
  const action = before ? 'location.updated' : 'location.created';
  const after = { ...l, created_at: before?.created_at ?? now, updated_at: now };
  await appendAudit(
    trx,
    [
      {
        actor,
        action,
        entityType: 'location',
        entityId: l.id,
        before,
        after: signed ? { ...after, signature: signatureRecord(signed) } : after,
        reason: reason ?? (before ? `master data: ${changed.join(', ')} changed` : 'master data'),
      },
    ],
    now,
  );
  // New: readings stored before its master data existed get evaluated. Changed limits: all history.
  if (!before || limits.length) await insertHistoryMark(marksDb(trx), l.id, cause, now);
  return { action, cause };
}
