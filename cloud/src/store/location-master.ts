import type { Kysely, Transaction } from 'kysely';
import { appendAudit } from '../domain/audit-chain.js';
import { insertHistoryMark, marksDb } from './evaluation-marks.js';
import type { ActorInput } from './master-actor.js';
import type { Database, DomainDatabase, LocationsTable } from './schema.js';

export type LocationInput = Omit<LocationsTable, 'created_at' | 'updated_at'>;

export interface LocationChange {
  action: 'location.created' | 'location.updated';
  /** For changed limits: the cause the derived audit entries name (who changed which limits, when). */
  cause: string | null;
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
const LIMITS: ReadonlySet<string> = new Set(FIELDS.filter((f) => f !== 'name' && f !== 'kind'));

/**
 * Creates or updates a location, audited (actor, before/after, reason) in the same transaction. When it
 * is new or its limits changed, its whole history must be re-evaluated: an evaluation mark (0006) is
 * committed with the change, its cause naming who changed which limits, so the derived changes (excursions
 * withdrawn, locks lifted) say they follow that change, not late data. The locations route evaluates at
 * once; if the process dies first, the mark is reconciled at the next start.
 */
export async function upsertLocation(
  db: Kysely<Database>,
  l: LocationInput,
  now: number,
  by: ActorInput = {},
): Promise<LocationChange | undefined> {
  const actor = by.actor ?? 'system';
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('locations').selectAll().where('id', '=', l.id).executeTakeFirst();
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
    const limits = changed.filter((f) => LIMITS.has(f));
    const cause =
      before && limits.length
        ? `limits of location ${l.id} changed by ${actor} at ${new Date(now).toISOString()} (${limits
            .map((f) => `${f} ${before[f]} → ${l[f]}`)
            .join(', ')})`
        : null;
    const action = before ? 'location.updated' : 'location.created';
    await appendAudit(
      trx as unknown as Transaction<DomainDatabase>,
      [
        {
          actor,
          action,
          entityType: 'location',
          entityId: l.id,
          before,
          after: { ...l, created_at: before?.created_at ?? now, updated_at: now },
          reason: by.reason ?? (before ? `master data: ${changed.join(', ')} changed` : 'master data'),
        },
      ],
      now,
    );
    // New: readings stored before its master data existed get evaluated. Changed limits: all history.
    if (!before || limits.length) await insertHistoryMark(marksDb(trx), l.id, cause, now);
    return { action, cause };
  });
}
