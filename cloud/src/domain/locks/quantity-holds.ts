import type { AuditInput } from '../audit-chain.js';
import type { RecomputeCause } from '../exposure.js';
import { lotQuantities, type QuantityExcursion, type QuantityScan } from '../lot-quantities.js';

/**
 * A stored quantity hold (`quantity_holds`, 0027): the counted units of a lot without serial held at a
 * location by an excursion there. `units` is the most units on hand during the excursion; a decision
 * signed on the hold covers `decided_units` of them for version `decided_version` of the excursion.
 */
export interface QuantityHoldRow {
  lot_id: string;
  location_id: string;
  excursion_id: string;
  units: number;
  exposed_from: number;
  exposed_to: number | null;
  /** active | lifted | released | rejected */
  state: string;
  disposition_id: string | null;
  reason: string;
  /**
   * Why a specification change held it (0033): it then stands until a signed decision, as a held lock
   * (`locks.hold_reason`); null when not held.
   */
  hold_reason: string | null;
  decided_version: number | null;
  decided_units: number | null;
  created_at: number;
  updated_at: number;
}

/** A hold the scans and excursions of a location call for. */
export interface DesiredHold {
  lotId: string;
  locationId: string;
  excursionId: string;
  units: number;
  from: number;
  to: number | null;
}

/** Identifies a hold row (its primary key). */
export interface HoldKey {
  lotId: string;
  locationId: string;
  excursionId: string;
}

export type HoldWrite =
  | { kind: 'insert'; row: QuantityHoldRow }
  | { kind: 'update'; key: HoldKey; set: Partial<QuantityHoldRow> }
  /** `into`: a merge's excursion, under which the same lot and location's hold stands for this stock. */
  | { kind: 'delete'; key: HoldKey; into?: string };

/** A hold or its end as integrators see it: a lock event naming the lot and quantity, no EPC. */
export interface HoldEvent {
  type: 'lock' | 'unlock';
  excursionId: string;
  locationId: string;
  lotId: string;
  /** Units held (lock) or no longer held (unlock). */
  units: number;
  reason: string;
}

export interface HoldPlan {
  writes: HoldWrite[];
  audit: AuditInput[];
  events: HoldEvent[];
  /** Excursions whose review reopens: a hold became active, or held more units than a decision covered. */
  gained: Set<string>;
}

/** Units of a hold no decision covers yet: all while active, those exposed after a decision otherwise. */
export function undecidedUnits(h: Pick<QuantityHoldRow, 'state' | 'units' | 'decided_units'>): number {
  if (h.state === 'active') return h.units;
  if (h.state === 'lifted') return 0;
  return Math.max(0, h.units - (h.decided_units ?? h.units));
}

/** What the hold reconciliation reads and writes in a derive transaction (the store implements it). */
export interface QuantityHoldRepo {
  /** Scans of units without serial at a location, per lot. */
  quantityScansAt(locationId: string): Promise<Map<string, QuantityScan[]>>;
  holdsAt(locationId: string): Promise<QuantityHoldRow[]>;
  /** An excursion's holds that are not lifted (a withdrawal keeps the excursion while one is active). */
  heldBy(excursionId: string): Promise<QuantityHoldRow[]>;
  /** Every hold of an excursion, lifted ones included (a merge moves them all: one row per lot and location). */
  holdsOf(excursionId: string): Promise<QuantityHoldRow[]>;
  /** Excursions at the location kept as `withdrawn` for review (their holds stand until decided). */
  withdrawnAt(locationId: string): Promise<string[]>;
  applyHoldPlan(plan: Pick<HoldPlan, 'writes'>): Promise<void>;
}

const HELD_SUFFIX =
  '; it stays held pending QA review, and only a signed disposition releases it (no specification change releases stock)';

/** Whether a specification change held this hold (it then stands until a signed decision, as a held lock). */
export function isHeldHold(h: Pick<QuantityHoldRow, 'hold_reason'>): boolean {
  return h.hold_reason !== null;
}

export const holdEntityId = (k: HoldKey) => `${k.lotId}|${k.locationId}|${k.excursionId}`;

const iso = (ts: number | null) => (ts === null ? 'ongoing' : new Date(ts).toISOString());

/**
 * docs/barcode.md "Quantity custody": the holds a location's scans without serial (per lot) and its
 * excursions that expose stock (not withdrawn) call for: one per lot and excursion during which units of
 * the lot were on hand, holding the most units on hand then (`lotQuantities`). Sorted by key.
 */
export function desiredHolds(
  locationId: string,
  scansByLot: ReadonlyMap<string, readonly QuantityScan[]>,
  excursions: readonly QuantityExcursion[],
): DesiredHold[] {
  const here = excursions.filter((e) => e.location_id === locationId);
  const out: DesiredHold[] = [];
  if (here.length === 0) return out;
  for (const [lotId, scans] of scansByLot) {
    const at = lotQuantities(
      scans.filter((s) => s.location_id === locationId),
      here,
    )[0];
    for (const e of at?.exposures ?? [])
      out.push({ lotId, locationId, excursionId: e.excursionId, units: e.units, from: e.from, to: e.to });
  }
  return out.sort((a, b) => cmp(holdEntityId(a), holdEntityId(b)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The writes, audit entries and events that bring a location's stored holds in line with the desired ones,
 * with the decisions EPC locks follow (docs/architecture.md "Affected stock and locks", reconcile-locks.ts):
 * a wanted hold that does not exist is created active; a lifted one is reinstated; one whose quantity or
 * window moved is updated, a signed state staying as signed (a decision is never overwritten by later
 * data: units exposed beyond those it covered reopen the excursion's review for a new decision); a hold no
 * longer wanted is lifted only when it is active and no QA decision touched it. Pure.
 */
export function reconcileHolds(
  existing: readonly QuantityHoldRow[],
  desired: readonly DesiredHold[],
  now: number,
  cause?: RecomputeCause | undefined,
  excursions: {
    /** Excursions at the location that expose stock (not withdrawn). */
    live?: ReadonlySet<string>;
    /** Excursions kept as `withdrawn` for review: their active holds stand (only a decision ends them). */
    keptForReview?: ReadonlySet<string>;
  } = {},
): HoldPlan {
  const live = excursions.live ?? new Set<string>();
  const keptForReview = excursions.keptForReview ?? new Set<string>();
  const plan: HoldPlan = { writes: [], audit: [], events: [], gained: new Set() };
  const byId = new Map(
    existing.map((r) => [
      holdEntityId({ lotId: r.lot_id, locationId: r.location_id, excursionId: r.excursion_id }),
      r,
    ]),
  );
  const audited = (text: string) => (cause ? `${cause.text}: ${text}` : text);
  const audit = (action: string, entityId: string, reason: string, before?: unknown, after?: unknown) =>
    plan.audit.push({
      actor: 'system',
      action,
      entityType: 'quantity_hold',
      entityId,
      before,
      after,
      reason,
    });
  const event = (type: 'lock' | 'unlock', k: HoldKey, units: number, reason: string) =>
    plan.events.push({ type, ...k, units, reason });
  for (const d of desired) {
    const key: HoldKey = { lotId: d.lotId, locationId: d.locationId, excursionId: d.excursionId };
    const id = holdEntityId(key);
    const row = byId.get(id);
    byId.delete(id);
    const reason = `${d.units} unit(s) of lot ${d.lotId} without serial on hand at ${d.locationId} during excursion ${d.excursionId} (${iso(d.from)} to ${iso(d.to)})`;
    const window = { units: d.units, from: d.from, to: d.to };
    if (!row) {
      plan.writes.push({
        kind: 'insert',
        row: {
          lot_id: d.lotId,
          location_id: d.locationId,
          excursion_id: d.excursionId,
          units: d.units,
          exposed_from: d.from,
          exposed_to: d.to,
          state: 'active',
          disposition_id: null,
          reason,
          hold_reason: null,
          decided_version: null,
          decided_units: null,
          created_at: now,
          updated_at: now,
        },
      });
      audit('quantity_hold.created', id, audited(reason), undefined, { state: 'active', ...window });
      event('lock', key, d.units, reason);
      plan.gained.add(d.excursionId);
      continue;
    }
    if (row.state === 'lifted') {
      plan.writes.push({
        kind: 'update',
        key,
        set: {
          state: 'active',
          units: d.units,
          exposed_from: d.from,
          exposed_to: d.to,
          reason,
          hold_reason: null,
          updated_at: now,
        },
      });
      audit(
        'quantity_hold.reinstated',
        id,
        audited(reason),
        { state: 'lifted' },
        {
          state: 'active',
          ...window,
        },
      );
      event('lock', key, d.units, reason);
      plan.gained.add(d.excursionId);
      continue;
    }
    if (row.units === d.units && row.exposed_from === d.from && row.exposed_to === d.to) continue;
    const before = { state: row.state, units: row.units, from: row.exposed_from, to: row.exposed_to };
    plan.writes.push({
      kind: 'update',
      key,
      set: {
        units: d.units,
        exposed_from: d.from,
        exposed_to: d.to,
        updated_at: now,
        ...(row.state === 'active' && !isHeldHold(row) ? { reason } : {}),
      },
    });
    const decided = row.state !== 'active';
    // Units held beyond what was held (or decided) before go out as a lock, fewer as an unlock.
    const delta = undecidedUnits({ ...row, units: d.units }) - undecidedUnits(row);
    audit(
      'quantity_hold.changed',
      id,
      audited(
        decided
          ? `${reason}; the signed decision (${row.state}) stands for the ${row.decided_units ?? row.units} unit(s) it covered`
          : reason,
      ),
      before,
      { state: row.state, ...window },
    );
    if (delta > 0) {
      event('lock', key, delta, reason);
      plan.gained.add(d.excursionId);
    } else if (delta < 0) event('unlock', key, -delta, reason);
  }
  for (const row of byId.values()) {
    if (row.state !== 'active' || row.disposition_id !== null) continue;
    if (keptForReview.has(row.excursion_id)) continue;
    const key: HoldKey = { lotId: row.lot_id, locationId: row.location_id, excursionId: row.excursion_id };
    // Held by an earlier specification change: it stands until a signed decision (as a held lock).
    if (isHeldHold(row)) continue;
    if (cause?.masterData && live.has(row.excursion_id)) {
      // No specification change releases stock (docs/architecture.md "Affected stock and locks").
      const why = `${cause.text}: this change would have lifted the hold of ${row.units} unit(s) of lot ${row.lot_id}${HELD_SUFFIX}`;
      plan.writes.push({ kind: 'update', key, set: { reason: why, hold_reason: why, updated_at: now } });
      audit(
        'quantity_hold.held',
        holdEntityId(key),
        why,
        { state: 'active', held: false },
        { state: 'active', held: true },
      );
      continue;
    }
    const reason = audited(
      `no unit of lot ${row.lot_id} without serial is exposed at ${row.location_id} by excursion ${row.excursion_id} any more`,
    );
    plan.writes.push({ kind: 'update', key, set: { state: 'lifted', reason, updated_at: now } });
    audit(
      'quantity_hold.lifted',
      holdEntityId(key),
      reason,
      { state: 'active', units: row.units },
      { state: 'lifted' },
    );
    event('unlock', key, row.units, reason);
  }
  return plan;
}

/** Signed, then active, then lifted: what a merge keeps of two holds of one lot and location. */
const strength = (h: QuantityHoldRow) => (h.disposition_id !== null ? 2 : h.state === 'active' ? 1 : 0);

/**
 * Late data joined excursion `from` into `into` (excursion-reconcile.ts): its holds follow it, as its
 * locks do. A hold with no counterpart under `into` moves there (`quantity_hold.moved`); otherwise the
 * stronger of the two stays under `into` (a merge never undoes a signed decision) and the other row goes
 * (`quantity_hold.merged`). The hold reconciliation that follows brings the quantities in line.
 */
export function mergeHolds(
  fromRows: readonly QuantityHoldRow[],
  intoRows: readonly QuantityHoldRow[],
  into: string,
  now: number,
  reason: string,
): Pick<HoldPlan, 'writes' | 'audit'> {
  const out: Pick<HoldPlan, 'writes' | 'audit'> = { writes: [], audit: [] };
  const there = new Map(intoRows.map((r) => [`${r.lot_id}|${r.location_id}`, r]));
  const brief = (r: QuantityHoldRow) => ({
    excursionId: r.excursion_id,
    state: r.state,
    units: r.units,
    dispositionId: r.disposition_id,
  });
  for (const r of fromRows) {
    const key: HoldKey = { lotId: r.lot_id, locationId: r.location_id, excursionId: r.excursion_id };
    const other = there.get(`${r.lot_id}|${r.location_id}`);
    if (!other) {
      out.writes.push({ kind: 'update', key, set: { excursion_id: into, updated_at: now } });
      out.audit.push({
        actor: 'system',
        action: 'quantity_hold.moved',
        entityType: 'quantity_hold',
        entityId: holdEntityId(key),
        before: brief(r),
        after: { ...brief(r), excursionId: into },
        reason,
      });
      continue;
    }
    const take = strength(r) > strength(other);
    const intoKey: HoldKey = { ...key, excursionId: into };
    if (take) {
      const { lot_id: _l, location_id: _o, excursion_id: _x, created_at: _c, ...state } = r;
      out.writes.push({ kind: 'update', key: intoKey, set: { ...state, updated_at: now } });
    }
    out.writes.push({ kind: 'delete', key, into });
    out.audit.push({
      actor: 'system',
      action: 'quantity_hold.merged',
      entityType: 'quantity_hold',
      entityId: holdEntityId(key),
      before: { merged: brief(r), into: brief(other) },
      after: take ? { ...brief(r), excursionId: into } : brief(other),
      reason,
    });
  }
  return out;
}
