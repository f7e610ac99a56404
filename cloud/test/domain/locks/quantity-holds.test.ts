import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../../src/domain/exposure.js';
import {
  desiredHolds,
  type HoldPlan,
  isHeldHold,
  mergeHolds,
  type QuantityHoldRow,
  reconcileHolds,
  undecidedUnits,
} from '../../../src/domain/locks/quantity-holds.js';
import type { QuantityExcursion, QuantityScan } from '../../../src/domain/lot-quantities.js';

// docs/barcode.md "Quantity custody": the counted quantity of a lot without serial held by an excursion.
const s = (ts: number, direction = 'putaway', location_id = 'fridge'): QuantityScan => ({
  location_id,
  ts,
  direction,
});
const x = (
  id: string,
  start_ts: number,
  end_ts: number | null,
  location_id = 'fridge',
): QuantityExcursion => ({
  id,
  location_id,
  start_ts,
  end_ts,
});

/** Applies a plan to rows as the store does (insert, or update by key). */
function apply(rows: QuantityHoldRow[], plan: HoldPlan): QuantityHoldRow[] {
  const out = rows.map((r) => ({ ...r }));
  for (const w of plan.writes) {
    if (w.kind === 'insert') {
      expect(
        out.some(
          (r) =>
            r.lot_id === w.row.lot_id &&
            r.location_id === w.row.location_id &&
            r.excursion_id === w.row.excursion_id,
        ),
      ).toBe(false);
      out.push({ ...w.row });
    } else if (w.kind === 'delete') {
      const i = out.findIndex(
        (o) =>
          o.lot_id === w.key.lotId &&
          o.location_id === w.key.locationId &&
          o.excursion_id === w.key.excursionId,
      );
      expect(i, 'a delete names a stored row').toBeGreaterThanOrEqual(0);
      out.splice(i, 1);
    } else {
      const r = out.find(
        (o) =>
          o.lot_id === w.key.lotId &&
          o.location_id === w.key.locationId &&
          o.excursion_id === w.key.excursionId,
      );
      expect(r, 'an update names a stored row').toBeDefined();
      Object.assign(r!, w.set);
    }
  }
  return out;
}

const decide = (r: QuantityHoldRow, state: 'released' | 'rejected', version = 1): QuantityHoldRow => ({
  ...r,
  state,
  disposition_id: 'd-1',
  decided_version: version,
  decided_units: r.units,
});

describe('desiredHolds', () => {
  it('holds per lot the most units on hand during each excursion at the location, none elsewhere', () => {
    const scans = new Map([
      ['LOT-A', [s(10), s(11), s(12), s(30, 'picking')]],
      ['LOT-B', [s(50), s(55, 'picking')]],
      ['LOT-C', [s(5, 'putaway', 'dock')]],
    ]);
    const excursions = [x('e1', 20, 40), x('e2', 60, null), x('e-dock', 0, null, 'dock')];
    expect(desiredHolds('fridge', scans, excursions)).toEqual([
      { lotId: 'LOT-A', locationId: 'fridge', excursionId: 'e1', units: 3, from: 20, to: 40 },
      { lotId: 'LOT-A', locationId: 'fridge', excursionId: 'e2', units: 2, from: 60, to: null },
    ]);
    expect(desiredHolds('fridge', scans, [])).toEqual([]);
  });
});

describe('reconcileHolds', () => {
  const want = { lotId: 'LOT-A', locationId: 'fridge', excursionId: 'e1', units: 3, from: 20, to: 40 };

  it('creates an active hold, audited, with a lock event naming lot and quantity; the review reopens', () => {
    const plan = reconcileHolds([], [want], 1000);
    expect(plan.writes).toEqual([
      {
        kind: 'insert',
        row: expect.objectContaining({
          lot_id: 'LOT-A',
          location_id: 'fridge',
          excursion_id: 'e1',
          units: 3,
          state: 'active',
          disposition_id: null,
          created_at: 1000,
        }),
      },
    ]);
    expect(plan.audit.map((a) => [a.action, a.entityId])).toEqual([
      ['quantity_hold.created', 'LOT-A|fridge|e1'],
    ]);
    expect(plan.events).toEqual([
      expect.objectContaining({
        type: 'lock',
        lotId: 'LOT-A',
        locationId: 'fridge',
        excursionId: 'e1',
        units: 3,
      }),
    ]);
    expect([...plan.gained]).toEqual(['e1']);
    // Nothing to do a second time.
    const rows = apply([], plan);
    expect(reconcileHolds(rows, [want], 2000).writes).toEqual([]);
  });

  it('lifts an undecided hold no longer wanted (unlock event); a lifted one wanted again is reinstated', () => {
    const rows = apply([], reconcileHolds([], [want], 1000));
    const lift = reconcileHolds(rows, [], 2000);
    expect(lift.audit.map((a) => a.action)).toEqual(['quantity_hold.lifted']);
    expect(lift.events).toEqual([expect.objectContaining({ type: 'unlock', units: 3 })]);
    const lifted = apply(rows, lift);
    expect(lifted[0]).toMatchObject({ state: 'lifted' });
    const again = reconcileHolds(lifted, [{ ...want, units: 2 }], 3000);
    expect(again.audit.map((a) => a.action)).toEqual(['quantity_hold.reinstated']);
    expect(apply(lifted, again)[0]).toMatchObject({ state: 'active', units: 2 });
    expect([...again.gained]).toEqual(['e1']);
  });

  it('a signed decision stands: never lifted; more units exposed after it reopen the review, the state stays', () => {
    const rows = apply([], reconcileHolds([], [want], 1000)).map((r) => decide(r, 'rejected'));
    // The excursion withdrawn: a rejected hold is not lifted.
    expect(reconcileHolds(rows, [], 2000).writes).toEqual([]);
    // A late scan: four units were on hand; the decision covered three.
    const late = reconcileHolds(rows, [{ ...want, units: 4 }], 2000);
    const after = apply(rows, late);
    expect(after[0]).toMatchObject({ state: 'rejected', units: 4, decided_units: 3, disposition_id: 'd-1' });
    expect(undecidedUnits(after[0]!)).toBe(1);
    expect(late.events).toEqual([expect.objectContaining({ type: 'lock', units: 1 })]);
    expect([...late.gained]).toEqual(['e1']);
    expect(late.audit[0]!.reason).toMatch(/signed decision \(rejected\) stands for the 3 unit/);
    // Fewer units than decided: the decision still covers them all, nothing reopens.
    const fewer = reconcileHolds(rows, [{ ...want, units: 2 }], 2000);
    expect(fewer.gained.size).toBe(0);
    expect(fewer.events).toEqual([]);
    expect(apply(rows, fewer)[0]).toMatchObject({ state: 'rejected', units: 2 });
  });

  it('a specification change never lifts a hold: it is held, and no later recomputation lifts it', () => {
    const rows = apply([], reconcileHolds([], [want], 1000));
    const limits = { text: 'limits of location fridge corrected by qa', masterData: true };
    // The excursion still exists but no longer exposes the lot's units.
    const held = reconcileHolds(rows, [], 2000, limits, { live: new Set(['e1']) });
    expect(held.audit.map((a) => a.action)).toEqual(['quantity_hold.held']);
    expect(held.events).toEqual([]);
    const after = apply(rows, held);
    expect(after[0]).toMatchObject({ state: 'active' });
    expect(isHeldHold(after[0]!)).toBe(true);
    expect(reconcileHolds(after, [], 3000).writes).toEqual([]);
    expect(reconcileHolds(after, [], 3000, limits, { live: new Set(['e1']) }).writes).toEqual([]);
    // Its excursion kept as withdrawn for review: the hold stands, whatever the cause.
    expect(reconcileHolds(rows, [], 2000, undefined, { keptForReview: new Set(['e1']) }).writes).toEqual([]);
    // Late data (no specification change) lifts an undecided hold whose excursion is gone.
    expect(reconcileHolds(rows, [], 2000).audit.map((a) => a.action)).toEqual(['quantity_hold.lifted']);
  });

  it('events: held quantities join the excursion’s lock event as lot and quantity, without EPC', async () => {
    const log = new ChangeLog();
    log.lockEvent('lock', 'e1', 'fridge', 'EPC1', 'exposed', 1);
    log.quantityEvent('lock', 'e1', 'fridge', 'LOT-A', 3, 'held', 1);
    log.quantityEvent('unlock', 'e2', 'fridge', 'LOT-A', 2, 'lifted', 1);
    expect(await log.events(async () => new Map([['EPC1', 'LOT-B']]))).toEqual([
      {
        type: 'lock',
        excursionId: 'e1',
        locationId: 'fridge',
        reason: 'exposed',
        units: [{ epc: 'EPC1', lotId: 'LOT-B' }],
        quantities: [{ lotId: 'LOT-A', units: 3 }],
        at: 1,
      },
      {
        type: 'unlock',
        excursionId: 'e2',
        locationId: 'fridge',
        reason: 'lifted',
        units: [],
        quantities: [{ lotId: 'LOT-A', units: 2 }],
        at: 1,
      },
    ]);
  });

  it('a merge of excursions moves their holds; of two holds of one lot the signed one stays', () => {
    const a = apply([], reconcileHolds([], [want, { ...want, lotId: 'LOT-B' }], 1000));
    const from = a.map((r) => (r.lot_id === 'LOT-A' ? decide(r, 'rejected') : r));
    const into = apply([], reconcileHolds([], [{ ...want, excursionId: 'e0', units: 4 }], 1000));
    const plan = mergeHolds(from, into, 'e0', 2000, 'late data joined excursion e1 to e0');
    expect(plan.audit.map((x) => [x.action, x.entityId])).toEqual([
      ['quantity_hold.merged', 'LOT-A|fridge|e1'],
      ['quantity_hold.moved', 'LOT-B|fridge|e1'],
    ]);
    const after = apply([...from, ...into], { ...plan, events: [], gained: new Set() });
    expect(after.map((r) => [r.lot_id, r.excursion_id, r.state, r.disposition_id]).sort()).toEqual([
      ['LOT-A', 'e0', 'rejected', 'd-1'],
      ['LOT-B', 'e0', 'active', null],
    ]);
  });

  it('names the recomputation cause in the audit reasons', () => {
    const plan = reconcileHolds([], [want], 1000, { text: 'limits changed by qa', masterData: true });
    expect(plan.audit[0]!.reason).toMatch(/^limits changed by qa: 3 unit/);
  });

  // Holds are a function of the set of scans and excursions: whatever order they arrive in (each arrival
  // a recomputation), and however often one is delivered again, the holds in force are those of the whole
  // set computed at once.
  it('property: holds in force do not depend on arrival order or duplicates', () => {
    const scanArb = fc.record({
      lot: fc.constantFrom('LOT-A', 'LOT-B'),
      ts: fc.integer({ min: 0, max: 100 }),
      direction: fc.constantFrom('putaway', 'receiving', 'picking', 'dispatch'),
    });
    const excursionArb = fc.record({
      start: fc.integer({ min: 0, max: 100 }),
      len: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(scanArb, { maxLength: 12 }),
        fc.array(excursionArb, { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (rawScans, rawExcursions, shuffle) => {
          const items: Array<{ scan?: { lot: string; s: QuantityScan }; ex?: QuantityExcursion }> = [
            ...rawScans.map((r) => ({ scan: { lot: r.lot, s: s(r.ts, r.direction) } })),
            ...rawExcursions.map((e, i) => ({
              ex: x(`e${i}`, e.start, e.len === null ? null : e.start + e.len),
            })),
          ];
          // An arrival order with repeats (a redelivery: the same item twice).
          const order = items.map((_, i) => i);
          for (let i = 0; i < shuffle.length; i++) {
            const a = shuffle[i]! % Math.max(1, order.length);
            const b = (shuffle[i]! >> 3) % Math.max(1, order.length);
            [order[a], order[b]] = [order[b]!, order[a]!];
          }
          const arrivals = [
            ...order,
            ...shuffle.slice(0, 3).map((n) => n % Math.max(1, items.length)),
          ].filter((i) => i < items.length);
          const seen = new Set<number>();
          let rows: QuantityHoldRow[] = [];
          let now = 0;
          const state = () => {
            const scans = new Map<string, QuantityScan[]>();
            const exs: QuantityExcursion[] = [];
            for (const i of seen) {
              const it = items[i]!;
              if (it.scan) scans.set(it.scan.lot, [...(scans.get(it.scan.lot) ?? []), it.scan.s]);
              if (it.ex) exs.push(it.ex);
            }
            return desiredHolds('fridge', scans, exs);
          };
          for (const i of arrivals) {
            seen.add(i); // a duplicate changes nothing in the set
            rows = apply(rows, reconcileHolds(rows, state(), ++now));
          }
          const inForce = (rs: QuantityHoldRow[]) =>
            rs
              .filter((r) => r.state !== 'lifted')
              .map(
                (r) =>
                  `${r.lot_id}|${r.excursion_id}|${r.units}|${r.exposed_from}|${r.exposed_to}|${r.state}`,
              )
              .sort();
          const once = apply([], reconcileHolds([], state(), 0));
          expect(inForce(rows)).toEqual(inForce(once));
          // And recomputing again changes nothing.
          expect(reconcileHolds(rows, state(), ++now).writes).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
