import { describe, expect, it } from 'vitest';
import type { AuditLogTable } from '../../src/domain/audit-chain.js';
import { holdCheck, replayHolds } from '../../src/domain/deep-verify-holds.js';
import type { DeepVerifyData } from '../../src/domain/deep-verify-types.js';
import {
  type DesiredHold,
  type HoldPlan,
  mergeHolds,
  type QuantityHoldRow,
  reconcileHolds,
} from '../../src/domain/locks/quantity-holds.js';

/**
 * The hold replay over plans of the real planner (quantity-holds.ts) applied as the store applies them, for
 * histories besides the engine flow's (deep-verify-holds.test.ts): a hold a specification change holds, a
 * lifted hold reinstated, and a merge of two undecided holds.
 */
class Trail {
  rows: QuantityHoldRow[] = [];
  audit: AuditLogTable[] = [];

  apply(plan: Pick<HoldPlan, 'writes' | 'audit'>): this {
    const same = (r: QuantityHoldRow, k: { lotId: string; locationId: string; excursionId: string }) =>
      r.lot_id === k.lotId && r.location_id === k.locationId && r.excursion_id === k.excursionId;
    for (const w of plan.writes) {
      if (w.kind === 'insert') this.rows.push({ ...w.row });
      else if (w.kind === 'delete') this.rows = this.rows.filter((r) => !same(r, w.key));
      else this.rows = this.rows.map((r) => (same(r, w.key) ? { ...r, ...w.set } : r));
    }
    for (const a of plan.audit)
      this.audit.push({
        seq: this.audit.length + 1,
        at: 0,
        actor: a.actor,
        action: a.action,
        entity_type: a.entityType,
        entity_id: a.entityId,
        before_json: a.before === undefined ? null : JSON.stringify(a.before),
        after_json: a.after === undefined ? null : JSON.stringify(a.after),
        reason: a.reason,
        prev_hash: '',
        hash: '',
      });
    return this;
  }

  findings(rows: readonly QuantityHoldRow[] = this.rows): string[] {
    const data: DeepVerifyData = {
      audit: this.audit,
      locks: [],
      holds: rows,
      dispositions: [],
      excursions: [],
      users: [],
      master: [],
      readingDigests: { ok: true, gateways: 0, batches: 0, readings: 0, deleted: {}, findings: [] },
    };
    return holdCheck.run(data).map((f) => `${f.row}: ${f.detail}`);
  }
}

const want = (excursionId: string, units: number): DesiredHold => ({
  lotId: 'LOT-A',
  locationId: 'fridge',
  excursionId,
  units,
  from: 1000,
  to: 5000,
});
const limits = { text: 'limits of location fridge changed by qa', masterData: true };

describe('quantity hold replay (audit verify --deep)', () => {
  it('a hold a specification change held replays as held; its hold removed by a direct edit does not', () => {
    const t = new Trail().apply(reconcileHolds([], [want('e1', 3)], 1000));
    t.apply(reconcileHolds(t.rows, [], 2000, limits, { live: new Set(['e1']) }));
    expect(t.audit.map((a) => a.action)).toEqual(['quantity_hold.created', 'quantity_hold.held']);
    expect(replayHolds(t.audit).get('LOT-A|fridge|e1')).toMatchObject({
      state: 'active',
      units: 3,
      held: true,
    });
    expect(t.findings()).toEqual([]);
    const edited = t.rows.map((r) => ({ ...r, hold_reason: null }));
    expect(t.findings(edited)).toEqual([
      'LOT-A|fridge|e1: not held, but audit entry 2 (quantity_hold.held) left it held',
    ]);
  });

  it('lifted, reinstated, changed and merged holds replay to the rows the planner wrote', () => {
    // e1's hold lifted, then reinstated with another quantity while e2's changes, then e1 merged into e2.
    const t = new Trail().apply(reconcileHolds([], [want('e1', 2), { ...want('e2', 4), from: 6000 }], 1000));
    t.apply(reconcileHolds(t.rows, [{ ...want('e2', 4), from: 6000 }], 2000));
    t.apply(reconcileHolds(t.rows, [want('e1', 5), { ...want('e2', 1), from: 6000 }], 3000));
    expect(t.audit.map((a) => a.action)).toEqual([
      'quantity_hold.created',
      'quantity_hold.created',
      'quantity_hold.lifted',
      'quantity_hold.reinstated',
      'quantity_hold.changed',
    ]);
    expect(t.findings()).toEqual([]);
    // Late data joins e1 into e2 (the merge reads holds not lifted): of two active holds, e2's stays.
    const held = (x: string) => t.rows.filter((r) => r.excursion_id === x && r.state !== 'lifted');
    const [fromRows, intoRows] = [held('e1'), held('e2')];
    t.apply(mergeHolds(fromRows, intoRows, 'e2', 4000, 'late data joined e1 to e2'));
    expect(t.audit.at(-1)!.action).toBe('quantity_hold.merged');
    expect(t.rows.map((r) => [r.excursion_id, r.units])).toEqual([['e2', 1]]);
    expect(t.findings()).toEqual([]);
    // The merged row put back by a direct insert is a row the trail does not account for.
    expect(t.findings([...t.rows, ...fromRows])).toEqual([
      'LOT-A|fridge|e1: state active, 5 unit(s): no audit entry records this hold (written outside the audited path)',
    ]);
    expect(t.findings(t.rows.map((r) => ({ ...r, exposed_to: null })))).toEqual([
      'LOT-A|fridge|e2: exposed_to null, but audit entry 6 (quantity_hold.merged) recorded 5000',
    ]);
  });
});
