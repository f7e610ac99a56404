import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DesiredLock,
  type LockPlan,
  type LockWording,
  reconcileLocks,
  type StoredLock,
} from '../../../src/domain/locks/reconcile-locks.js';

/** A rule's wording that holds instead of lifting when `hold` is set (a master-data change). */
const wording = (hold: boolean): LockWording<DesiredLock> => ({
  cause: 'excursion',
  reason: (d) => `locked for ${d.key}`,
  audited: (t) => t,
  created: (d) => ({ from: d.from }),
  reinstated: (d) => ({ from: d.from }),
  windowChange: (row, d) =>
    row.exposed_from === d.from && row.exposed_to === d.to
      ? null
      : { set: { exposed_from: d.from, exposed_to: d.to }, before: {}, after: {}, reason: 'moved' },
  removal: () =>
    hold ? { kind: 'hold', why: 'limits changed' } : { kind: 'lift', reason: 'gone', before: {}, after: {} },
  eventExtra: () => ({}),
});

/** The plan applied to rows in memory, as the store applies it. */
function apply(rows: StoredLock[], plan: LockPlan): StoredLock[] {
  const out = new Map(rows.map((r) => [`${r.epc}|${r.key}`, { ...r }]));
  for (const w of plan.writes) {
    const id = `${w.epc}|${w.key}`;
    if (w.kind === 'insert') {
      expect(out.has(id)).toBe(false);
      out.set(id, {
        epc: w.epc,
        key: w.key,
        location_id: w.locationId,
        exposed_from: w.from,
        exposed_to: w.to,
        state: 'active',
        disposition_id: null,
        hold_reason: null,
      });
    } else {
      const r = out.get(id)!;
      expect(r).toBeDefined();
      Object.assign(r, w.set);
    }
  }
  return [...out.values()];
}

const epc = fc.constantFrom('E1', 'E2', 'E3');
const key = fc.constantFrom('x1', 'x2');
const stored = fc.record({
  epc,
  key,
  location_id: fc.constant('room'),
  exposed_from: fc.integer({ min: 0, max: 3 }),
  exposed_to: fc.option(fc.integer({ min: 4, max: 6 }), { nil: null }),
  state: fc.constantFrom('active', 'lifted', 'released', 'rejected'),
  disposition_id: fc.option(fc.constant('d1'), { nil: null }),
  hold_reason: fc.option(fc.constant('held'), { nil: null }),
});
const desired = fc.record({
  epc,
  key,
  locationId: fc.constant('room'),
  from: fc.integer({ min: 0, max: 3 }),
  to: fc.option(fc.integer({ min: 4, max: 6 }), { nil: null }),
});
const unique = <T extends { epc: string; key: string }>(xs: T[]) => [
  ...new Map(xs.map((x) => [`${x.epc}|${x.key}`, x])).values(),
];

describe('reconcileLocks', () => {
  it('leaves every wanted unit locked, lifts only untouched automatic locks, and is idempotent', () => {
    fc.assert(
      fc.property(fc.array(stored), fc.array(desired), fc.boolean(), (s, d, hold) => {
        const rows = unique(s);
        const want = unique(d);
        const plan = reconcileLocks(rows, want, wording(hold));
        const after = apply(rows, plan);
        const byId = new Map(after.map((r) => [`${r.epc}|${r.key}`, r]));
        // Every wanted lock exists and is not lifted (a signed state stays as signed).
        for (const w of want) expect(byId.get(`${w.epc}|${w.key}`)?.state).not.toBe('lifted');
        for (const before of rows) {
          const now = byId.get(`${before.epc}|${before.key}`)!;
          const wanted = want.some((w) => w.epc === before.epc && w.key === before.key);
          // Only an active, undecided, unheld lock that is no longer wanted may change state…
          if (now.state !== before.state && !(before.state === 'lifted' && wanted)) {
            expect(before).toMatchObject({ state: 'active', disposition_id: null, hold_reason: null });
            expect(wanted).toBe(false);
            expect(hold).toBe(false);
            expect(now.state).toBe('lifted');
          }
          // …and with a master-data cause it is held instead: still active.
          if (hold && !wanted && before.state === 'active' && before.disposition_id === null) {
            expect(now.state).toBe('active');
            expect(now.hold_reason).not.toBeNull();
          }
          if (before.state === 'released' || before.state === 'rejected')
            expect(now.state).toBe(before.state);
        }
        // Reconciling the result again changes nothing.
        const again = reconcileLocks(after, want, wording(hold));
        expect(again.writes).toEqual([]);
        expect(again.events).toEqual([]);
        // Each lock or unlock is audited, and each event names its unit once.
        const audited = new Set(plan.audit.map((a) => `${a.action}|${a.entityId}`));
        for (const e of plan.events)
          expect(
            audited.has(`${e.type === 'lock' ? 'lock.created' : 'lock.lifted'}|${e.epc}|${e.key}`) ||
              audited.has(`lock.reinstated|${e.epc}|${e.key}`),
          ).toBe(true);
      }),
    );
  });

  it('holds, not lifts, an active lock a master-data change no longer wants', () => {
    const row: StoredLock = {
      epc: 'E1',
      key: 'x1',
      location_id: 'room',
      exposed_from: 1,
      exposed_to: 5,
      state: 'active',
      disposition_id: null,
      hold_reason: null,
    };
    const lifted = reconcileLocks([row], [], wording(false));
    expect(lifted.writes).toEqual([
      { kind: 'update', epc: 'E1', key: 'x1', set: { state: 'lifted', reason: 'gone' } },
    ]);
    expect(lifted.events.map((e) => e.type)).toEqual(['unlock']);
    const held = reconcileLocks([row], [], wording(true));
    expect(held.writes).toHaveLength(1);
    expect(held.writes[0]).toMatchObject({
      kind: 'update',
      set: { hold_reason: expect.stringContaining('limits changed') },
    });
    expect(held.events).toEqual([]);
    expect(held.audit.map((a) => a.action)).toEqual(['lock.held']);
  });
});
