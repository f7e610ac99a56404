import type { Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';
import type { AuditInput } from './audit-chain.js';
import type { DomainEvent, LockEventPayload } from './domain-events.js';
import { holdLock, liftLock } from './lift-lock.js';

/** One unit's exposure to one excursion: the overlap of its custody with the excursion. */
export interface Exposure {
  epc: string;
  excursion_id: string;
  location_id: string;
  from: number;
  to: number | null;
}

/** Audit entries and integration events collected during one derived-state transaction. */
export class ChangeLog {
  readonly audit: AuditInput[] = [];
  private readonly lockEvents = new Map<string, LockEventPayload>();
  /** EPCs whose lot is looked up at the end. */
  readonly epcs = new Set<string>();
  /** Events other than lock/unlock (dispositions), enqueued as given. */
  readonly extraEvents: DomainEvent[] = [];

  lockEvent(
    type: 'lock' | 'unlock',
    excursionId: string,
    locationId: string,
    epc: string,
    reason: string,
    at: number,
  ) {
    const key = `${type}\u0000${excursionId}`;
    let e = this.lockEvents.get(key);
    if (!e) {
      e = { type, excursionId, locationId, reason, units: [], at };
      this.lockEvents.set(key, e);
    }
    e.units.push({ epc, lotId: null });
    this.epcs.add(epc);
  }

  /** The lock events with each unit's lot filled in. */
  async events(trx: Transaction<DomainDatabase>): Promise<DomainEvent[]> {
    const all = [...this.lockEvents.values()];
    if (all.length === 0) return this.extraEvents;
    const lots = new Map<string, string>();
    const epcs = [...this.epcs];
    for (let i = 0; i < epcs.length; i += 500) {
      const rows = await trx
        .selectFrom('epcs')
        .select(['epc', 'lot_id'])
        .where('epc', 'in', epcs.slice(i, i + 500))
        .execute();
      for (const r of rows) lots.set(r.epc, r.lot_id);
    }
    for (const e of all) for (const u of e.units) u.lotId = lots.get(u.epc) ?? null;
    return [...all, ...this.extraEvents];
  }
}

const iso = (ts: number | null) => (ts === null ? 'ongoing' : new Date(ts).toISOString());

/**
 * Why a recomputation runs when it is not (only) new data, named in the audit reasons. `masterData`: a
 * master-data change (a location's limits) caused it, so a lock it would lift is held for QA instead.
 */
export interface RecomputeCause {
  text: string;
  masterData: boolean;
}

/**
 * docs/architecture.md "Affected stock and locks": brings the lock rows of one scope (all rows of one
 * excursion, or all rows of one EPC) in line with the exposures computed for it. A new exposure locks the
 * unit (or reinstates a lifted lock); released or rejected rows stay as signed; a changed exposure window is
 * recorded. A lock whose exposure vanished is lifted only when it is an automatic lock no QA decision
 * touched and not held; when a master-data change caused the recomputation it is held instead
 * (`holdLock`): no specification change releases stock. Every change is audited; `cause` (when it was not
 * new data) is named in the audit reasons and a lifted lock's reason. Returns the excursions that gained an
 * active lock.
 */
export async function applyExposures(
  trx: Transaction<DomainDatabase>,
  scope: { excursionId: string } | { epc: string },
  desired: readonly Exposure[],
  log: ChangeLog,
  now: number,
  cause?: RecomputeCause | undefined,
): Promise<Set<string>> {
  const because = (text: string) => (cause ? `${cause.text}: ${text}` : text);
  // Only excursion locks: a unit's cumulative-rule locks (cause 'cumulative') are kept by cumulative-locks.ts.
  let q = trx.selectFrom('locks').selectAll().where('cause', '=', 'excursion');
  q =
    'excursionId' in scope ? q.where('excursion_id', '=', scope.excursionId) : q.where('epc', '=', scope.epc);
  const existing = new Map((await q.execute()).map((r) => [`${r.epc}\u0000${r.excursion_id}`, r]));
  const gained = new Set<string>();
  const inserts = [];
  for (const d of desired) {
    const key = `${d.epc}\u0000${d.excursion_id}`;
    const row = existing.get(key);
    existing.delete(key);
    const reason = `exposed at ${d.location_id} during excursion ${d.excursion_id} (${iso(d.from)} – ${iso(d.to)})`;
    if (!row) {
      inserts.push({
        epc: d.epc,
        excursion_id: d.excursion_id,
        location_id: d.location_id,
        exposed_from: d.from,
        exposed_to: d.to,
        state: 'active',
        reason,
        disposition_id: null,
        created_at: now,
        updated_at: now,
      });
      log.audit.push({
        actor: 'system',
        action: 'lock.created',
        entityType: 'lock',
        entityId: key.replace('\u0000', '|'),
        after: { epc: d.epc, excursionId: d.excursion_id, state: 'active', from: d.from, to: d.to },
        reason: because(reason),
      });
      log.lockEvent('lock', d.excursion_id, d.location_id, d.epc, reason, now);
      gained.add(d.excursion_id);
      continue;
    }
    const windowChanged = row.exposed_from !== d.from || row.exposed_to !== d.to;
    if (row.state === 'lifted') {
      await trx
        .updateTable('locks')
        .set({ state: 'active', reason, exposed_from: d.from, exposed_to: d.to, updated_at: now })
        .where('epc', '=', d.epc)
        .where('excursion_id', '=', d.excursion_id)
        .execute();
      log.audit.push({
        actor: 'system',
        action: 'lock.reinstated',
        entityType: 'lock',
        entityId: key.replace('\u0000', '|'),
        before: { state: 'lifted' },
        after: { state: 'active', from: d.from, to: d.to },
        reason: because(reason),
      });
      log.lockEvent('lock', d.excursion_id, d.location_id, d.epc, reason, now);
      gained.add(d.excursion_id);
    } else if (windowChanged) {
      await trx
        .updateTable('locks')
        .set({ exposed_from: d.from, exposed_to: d.to, updated_at: now })
        .where('epc', '=', d.epc)
        .where('excursion_id', '=', d.excursion_id)
        .execute();
      log.audit.push({
        actor: 'system',
        action: 'lock.window_changed',
        entityType: 'lock',
        entityId: key.replace('\u0000', '|'),
        before: { state: row.state, from: row.exposed_from, to: row.exposed_to },
        after: { state: row.state, from: d.from, to: d.to },
        reason: because(`exposure window recomputed: ${reason}`),
      });
    }
  }
  for (let i = 0; i < inserts.length; i += 200)
    await trx
      .insertInto('locks')
      .values(inserts.slice(i, i + 200))
      .execute();
  for (const row of existing.values()) {
    if (row.state !== 'active' || row.disposition_id !== null || row.hold_reason !== null) continue;
    const entityId = `${row.epc}|${row.excursion_id}`;
    const gone = `${row.epc} is no longer exposed to excursion ${row.excursion_id} at ${row.location_id}`;
    if (cause?.masterData) {
      await holdLock(trx, log, row, entityId, `${cause.text}: ${gone}`, now);
      continue;
    }
    const reason = cause
      ? `${cause.text}: ${gone}`
      : `late data shows ${row.epc} was not at ${row.location_id} during excursion ${row.excursion_id}`;
    await liftLock(
      trx,
      log,
      row,
      {
        entityId,
        before: { state: 'active', from: row.exposed_from, to: row.exposed_to },
        after: { state: 'lifted' },
        reason,
      },
      now,
    );
    log.lockEvent('unlock', row.excursion_id, row.location_id, row.epc, reason, now);
  }
  return gained;
}
