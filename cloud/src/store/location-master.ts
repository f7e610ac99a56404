import { ColdtraceError, type TempLimits } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import { type SignedChange, signatureRecord } from '../domain/e-signature.js';
import { horizonOf } from '../domain/evaluation-horizon.js';
import { limitsOf } from '../domain/location-evaluation.js';
import {
  changesFrom,
  indexInForce,
  iso,
  jsonTime,
  newestAfter,
  replacesText,
  type SpecEffect,
  type SpecVersion,
  timeline,
} from '../domain/spec-versions.js';
import { appendAudit } from './audit-append.js';
import { horizonFacts } from './evaluation-horizon-reads.js';
import { insertHistoryMark, marksDb } from './evaluation-marks.js';
import type { ActorInput } from './master-actor.js';
import type { Database, LocationsTable } from './schema.js';
import { addVersion, insertInitialVersion, specsInForce } from './spec-version-repo.js';

export type LocationInput = Omit<LocationsTable, 'created_at' | 'updated_at'>;
export type LocationLimits = Pick<
  LocationInput,
  'min_c' | 'max_c' | 'alarm_delay_ms' | 'critical_margin_c' | 'max_gap_ms'
>;

export interface LocationChange {
  action: 'location.created' | 'location.updated';
  /** For changed limits: the cause the derived audit entries name (who changed which limits, when). */
  cause: string | null;
  /** Data time from which the history must be re-evaluated (−Infinity: all of it). */
  reevaluateFrom: number;
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
 * 11 §10 change control, 21 CFR 11.50) as a new version in force from `effect.effectiveFrom`
 * (docs/domain.md "Effective-dated specifications"): an ordinary change takes effect now or later
 * (`spec_effective_in_past` otherwise), a correction replaces the versions from a past instant. The audit
 * entry carries signer, meaning, reason, before/after, the version and its effectiveFrom; the history is
 * re-evaluated (a lock the re-evaluation would remove is held, docs/architecture.md "Affected stock and
 * locks").
 */
export async function changeLocationLimits(
  db: Kysely<Database>,
  id: string,
  limits: LocationLimits,
  now: number,
  signed: SignedChange,
  effect: SpecEffect = { kind: 'change', effectiveFrom: now, dataNow: now },
): Promise<LocationChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) throw new ColdtraceError('not_found', `location ${id} not found`);
    const l = { id, name: before.name, kind: before.kind, ...limits };
    return writeVersion(trx, before, l, now, signed.signer.username, signed.reason, effect, signed);
  });
}

async function writeLocation(
  trx: Transaction<Database>,
  before: LocationsTable | undefined,
  l: LocationInput,
  now: number,
  actor: string,
  reason: string | undefined,
): Promise<LocationChange | undefined> {
  const changed = FIELDS.filter((f) => before?.[f] !== l[f]);
  if (before && changed.length === 0) return undefined;
  if (before && changed.some((f) => LIMITS.includes(f))) {
    // A program seeding master data replaces the limits for all time, as a correction from the beginning.
    const why = reason ?? `master data: ${changed.join(', ')} changed`;
    const effect = { kind: 'correction', effectiveFrom: Number.NEGATIVE_INFINITY, dataNow: now } as const;
    return writeVersion(trx, before, l, now, actor, why, effect);
  }
  await trx
    .insertInto('locations')
    .values({ ...l, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: l.name, kind: l.kind, updated_at: now }))
    .execute();
  const action = before ? 'location.updated' : 'location.created';
  const after = { ...l, created_at: before?.created_at ?? now, updated_at: now };
  const why = reason ?? (before ? `master data: ${changed.join(', ')} changed` : 'master data');
  await appendAudit(
    trx,
    [
      {
        actor,
        action,
        entityType: 'location',
        entityId: l.id,
        before,
        after: before ? after : { ...after, version: 1, effectiveFrom: null },
        reason: why,
      },
    ],
    now,
  );
  if (!before) {
    // Version 1, in force from the beginning: readings stored before the location existed get evaluated.
    await insertInitialVersion(trx, 'location', l.id, limitsOf(l), { at: now, actor, reason: why });
    await insertHistoryMark(marksDb(trx), l.id, null, now);
  }
  return { action, cause: null, reevaluateFrom: Number.NEGATIVE_INFINITY };
}

const sameLimits = (a: TempLimits, b: TempLimits) => LIMIT_KEYS.every((k) => a[k] === b[k]);
const LIMIT_COLUMNS = ['min_c', 'max_c', 'alarm_delay_ms', 'critical_margin_c', 'max_gap_ms'] as const;
const LIMIT_KEYS = ['minC', 'maxC', 'alarmDelayMs', 'criticalMarginC', 'maxGapMs'] as const;
const limitColumnsOf = (t: TempLimits): LocationLimits => ({
  min_c: t.minC,
  max_c: t.maxC,
  alarm_delay_ms: t.alarmDelayMs,
  critical_margin_c: t.criticalMarginC,
  max_gap_ms: t.maxGapMs,
});

/**
 * A new version of a location's limits in force from `effect.effectiveFrom`; the row keeps the newest
 * version's limits (the one in force from the latest instant). No change (nothing written) when every
 * version in force from then on already has these limits.
 */
async function writeVersion(
  trx: Transaction<Database>,
  before: LocationsTable,
  l: LocationInput,
  now: number,
  actor: string,
  reason: string,
  effect: SpecEffect,
  signed?: SignedChange,
): Promise<LocationChange | undefined> {
  const spec = limitsOf(l);
  const line = timeline(await locationVersions(trx, before));
  const from = effect.effectiveFrom;
  const prev = line[indexInForce(line, from)]!;
  const renamed = before.name !== l.name || before.kind !== l.kind;
  if (!renamed && !changesFrom(line, from, spec, sameLimits)) return undefined;
  if (effect.kind === 'correction') await refuseBeforeHorizon(trx, l.id, from, line);

  const plan = await addVersion(
    trx,
    'location',
    l.id,
    { kind: effect.kind, effectiveFrom: from, spec, now: effect.dataNow },
    { at: now, actor, reason },
  );
  const newest = newestAfter(line, plan);
  const row = { ...l, ...limitColumnsOf(newest) };
  await trx
    .updateTable('locations')
    .set({ name: row.name, kind: row.kind, ...limitColumnsOf(newest), updated_at: now })
    .where('id', '=', l.id)
    .execute();
  const was = limitColumnsOf(prev.spec);
  const next = limitColumnsOf(spec);
  const diff = LIMIT_COLUMNS.filter((f) => was[f] !== next[f])
    .map((f) => `${f} ${was[f]} → ${next[f]}`)
    .join(', ');
  const correction = effect.kind === 'correction';
  const at = new Date(now).toISOString();
  const replaces = replacesText(plan);
  const cause = !correction
    ? `limits of location ${l.id} changed by ${actor} at ${at} (${diff}), version ${plan.next.version} effective from ${iso(from)}`
    : signed
      ? `limits of location ${l.id} corrected retroactively by ${actor} at ${at} from ${iso(from)} (${diff}; ${replaces})`
      : `limits of location ${l.id} changed by ${actor} at ${at} (${diff}) for all time (${replaces})`;
  const after = {
    ...row,
    created_at: before.created_at,
    updated_at: now,
    version: plan.next.version,
    effectiveFrom: jsonTime(from),
    versionKind: effect.kind,
    replacesVersions: plan.replaced,
    limits: spec,
  };
  await appendAudit(
    trx,
    [
      {
        actor,
        action: correction && signed ? 'location.limits_corrected' : 'location.updated',
        entityType: 'location',
        entityId: l.id,
        before: {
          ...before,
          version: prev.version,
          effectiveFrom: jsonTime(prev.effectiveFrom),
          limits: prev.spec,
        },
        after: signed
          ? {
              ...after,
              signature: signatureRecord(signed, { entityType: 'location', entityId: l.id, content: after }),
            }
          : after,
        reason,
      },
    ],
    now,
  );
  // The history is re-evaluated under the versions (the past changes only by a correction); the cause
  // names the change in the derived audit entries and makes it a master-data change (holds, no lifts).
  await insertHistoryMark(marksDb(trx), l.id, cause, now, plan.reevaluateFrom);
  return { action: 'location.updated', cause, reevaluateFrom: plan.reevaluateFrom };
}

/**
 * A retroactive correction re-evaluates past readings; where archived readings were deleted (`archive
 * prune`) it applies only after the location's evaluation horizon (docs/domain.md "Evaluation horizon"):
 * one taking effect earlier is refused whole, naming the horizon and the archives to restore, so what is
 * signed is what applies (21 CFR 11.50: the meaning of a signature is the record it signs).
 */
async function refuseBeforeHorizon(
  trx: Transaction<Database>,
  locationId: string,
  from: number,
  line: readonly SpecVersion<TempLimits>[],
): Promise<void> {
  const facts = await horizonFacts(trx, locationId, line);
  if (!facts) return;
  const horizon = horizonOf(facts);
  if (from >= horizon) return;
  const restore = facts.archives.join(', ');
  const earliest = Number.isFinite(horizon)
    ? `it can take effect from ${iso(horizon)} (the location's evaluation horizon) or later`
    : 'it cannot take effect at any time yet (a sensor has not been in range since, or an excursion across the horizon is still open)';
  throw new ColdtraceError(
    'history_deleted',
    `raw readings of location ${locationId} up to ${iso(facts.deletedUntil)} were deleted after archiving: a correction effective from ${iso(from)} would re-evaluate them; ${earliest}, or restore ${restore} (coldtrace archive restore) to correct from earlier; nothing was changed`,
    {
      location: locationId,
      horizon: jsonTime(horizon),
      deletedUntil: jsonTime(facts.deletedUntil),
      archives: facts.archives,
    },
  );
}

/** A location's limit versions in force; a location without any (none recorded) has its row's limits. */
export async function locationVersions(
  db: Kysely<Database> | Transaction<Database>,
  l: LocationsTable,
): Promise<SpecVersion<TempLimits>[]> {
  const versions = await specsInForce<TempLimits>(db, 'location', l.id);
  return versions.length > 0
    ? versions
    : [{ version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: limitsOf(l) }];
}
