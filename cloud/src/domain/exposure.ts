import type { AuditInput } from './audit-chain.js';
import type { DomainEvent, LockEventPayload } from './domain-events.js';
import type { LockRepo, RecomputeCause } from './locks/lock-rule.js';
import {
  type DesiredLock,
  type LockWording,
  reconcileLocks,
  type StoredLock,
} from './locks/reconcile-locks.js';

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

  /**
   * One unit locked or unlocked; units of one key and type go out as one event (with the first one's
   * location and reason). `extra` carries a rule's own fields; a unit's lot, when not given, is looked up.
   */
  lockEvent(
    type: 'lock' | 'unlock',
    excursionId: string,
    locationId: string,
    epc: string,
    reason: string,
    at: number,
    extra: Partial<LockEventPayload> = {},
    lotId?: string | null,
  ) {
    const key = `${type}\u0000${excursionId}`;
    let e = this.lockEvents.get(key);
    if (!e) {
      e = { type, excursionId, locationId, reason, units: [], at, ...extra };
      this.lockEvents.set(key, e);
    }
    e.units.push({ epc, lotId: lotId ?? null });
    if (lotId === undefined || lotId === null) this.epcs.add(epc);
  }

  /**
   * Units of a lot without serial held or no longer held by an excursion (a quantity hold): they join the
   * excursion's lock or unlock event as a lot and quantity, without EPC.
   */
  quantityEvent(
    type: 'lock' | 'unlock',
    excursionId: string,
    locationId: string,
    lotId: string,
    units: number,
    reason: string,
    at: number,
  ) {
    const key = `${type}\u0000${excursionId}`;
    let e = this.lockEvents.get(key);
    if (!e) {
      e = { type, excursionId, locationId, reason, units: [], at };
      this.lockEvents.set(key, e);
    }
    e.quantities = [...(e.quantities ?? []), { lotId, units }];
  }

  /** The lock events with each unit's lot filled in (`lotsOf`: the lot of each commissioned unit). */
  async events(
    lotsOf: (epcs: readonly string[]) => Promise<ReadonlyMap<string, string>>,
  ): Promise<DomainEvent[]> {
    const all = [...this.lockEvents.values()];
    if (all.length === 0) return this.extraEvents;
    const lots = await lotsOf([...this.epcs]);
    for (const e of all) for (const u of e.units) u.lotId ??= lots.get(u.epc) ?? null;
    return [...all, ...this.extraEvents];
  }
}

const iso = (ts: number | null) => (ts === null ? 'ongoing' : new Date(ts).toISOString());

export type { RecomputeCause };

/**
 * docs/architecture.md "Affected stock and locks": brings the lock rows of one scope (all rows of one
 * excursion, or all rows of one EPC as the caller read them) in line with the exposures computed for it. A new exposure locks the
 * unit (or reinstates a lifted lock); released or rejected rows stay as signed; a changed exposure window is
 * recorded. A lock whose exposure vanished is lifted only when it is an automatic lock no QA decision
 * touched and not held; when a master-data change caused the recomputation it is held instead
 * (`holdLock`): no specification change releases stock. Every change is audited; `cause` (when it was not
 * new data) is named in the audit reasons and a lifted lock's reason. Returns the excursions that gained an
 * active lock.
 */
export async function applyExposures(
  repo: LockRepo,
  scope: { excursionId: string } | { locks: readonly StoredLock[] },
  desired: readonly Exposure[],
  cause?: RecomputeCause | undefined,
): Promise<Set<string>> {
  const existing =
    'excursionId' in scope ? await repo.locks('excursion', { key: scope.excursionId }) : scope.locks;
  const plan = reconcileLocks(
    existing,
    desired.map((d) => ({
      epc: d.epc,
      key: d.excursion_id,
      locationId: d.location_id,
      from: d.from,
      to: d.to,
    })),
    excursionWording(cause),
  );
  await repo.applyLockPlan('excursion', plan);
  return plan.gained;
}

/** How excursion locks are worded: the exposure window, and the recomputation's cause when it was not new data. */
function excursionWording(cause: RecomputeCause | undefined): LockWording<DesiredLock> {
  const because = (text: string) => (cause ? `${cause.text}: ${text}` : text);
  const reason = (d: DesiredLock) =>
    `exposed at ${d.locationId} during excursion ${d.key} (${iso(d.from)} – ${iso(d.to)})`;
  return {
    cause: 'excursion',
    reason,
    audited: because,
    created: (d) => ({ epc: d.epc, excursionId: d.key, state: 'active', from: d.from, to: d.to }),
    reinstated: (d) => ({ state: 'active', from: d.from, to: d.to }),
    windowChange: (row, d) =>
      row.exposed_from === d.from && row.exposed_to === d.to
        ? null
        : {
            set: { exposed_from: d.from, exposed_to: d.to },
            before: { state: row.state, from: row.exposed_from, to: row.exposed_to },
            after: { state: row.state, from: d.from, to: d.to },
            reason: because(`exposure window recomputed: ${reason(d)}`),
          },
    removal: (row) => {
      const gone = `${row.epc} is no longer exposed to excursion ${row.key} at ${row.location_id}`;
      if (cause?.masterData) return { kind: 'hold', why: `${cause.text}: ${gone}` };
      return {
        kind: 'lift',
        reason: cause
          ? `${cause.text}: ${gone}`
          : `late data shows ${row.epc} was not at ${row.location_id} during excursion ${row.key}`,
        before: { state: 'active', from: row.exposed_from, to: row.exposed_to },
        after: { state: 'lifted' },
      };
    },
    eventExtra: () => ({}),
  };
}
