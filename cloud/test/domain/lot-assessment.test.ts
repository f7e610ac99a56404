import { sgtin96Hex } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { lotCustodyMkt } from '../../src/store/queries/lot-custody-mkt.js';
import { type Ev, type Harness, location, MIN, openHarness, pass, reading, sendAll, T0 } from './harness.js';

const epc = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const GTIN = '80614141123458';
const [U1, U2] = [epc(1), epc(2)];

let h: Harness;
let seq = 0;
const s = () => ++seq;

beforeEach(async () => {
  seq = 0;
  h = await openHarness();
  for (const id of ['room-a', 'truck-1']) await location(h, id);
  for (const gw of ['gw-room', 'gw-truck']) await h.store.upsertGateway({ id: gw, now: T0 });
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 30 * MIN },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-1', gtin: GTIN, lot_number: 'A1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.commission('LOT-1', [U1, U2], 'admin', T0);
});
afterEach(() => h.close());

/** Truck readings every `step` min from 0 to `end`: 12 °C (outside 2–8) before `hotUntil`, 5 °C after. */
function truck(step: number, hotUntil: number, end: number): Ev[] {
  const out: Ev[] = [];
  for (let m = 0; m <= end; m += step)
    out.push(reading('gw-truck', s(), 'reefer-1', 'truck-1', T0 + m * MIN, m < hotUntil ? 12 : 5));
  return out;
}

describe('lot assessment (docs/architecture.md "Affected stock and locks")', () => {
  it('counts each unit over its own exposure window, not the span from the earliest to the latest exposure', async () => {
    // One excursion on the truck 0–120 min. U1 is aboard 10–30, U2 80–100: each spent 20 min outside
    // 2–8 °C. The span 10–100 (90 min) is no unit's exposure, nor is the union (40 min) one unit's.
    await sendAll(h, [
      pass('gw-room', s(), U1, 'room-a', 'truck-1', T0 + 10 * MIN),
      pass('gw-room', s(), U1, 'truck-1', 'room-a', T0 + 30 * MIN),
      pass('gw-room', s(), U2, 'room-a', 'truck-1', T0 + 80 * MIN),
      pass('gw-room', s(), U2, 'truck-1', 'room-a', T0 + 100 * MIN),
      ...truck(5, 120, 150),
    ]);
    await h.engine.flush();
    const a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.units).toMatchObject({ total: 2, locked: 2 });
    expect(a.excursions).toEqual([
      expect.objectContaining({ locationId: 'truck-1', exposedUnits: 2, timeOutsideMs: 20 * MIN }),
    ]);
    expect(a.timeOutsideMs).toBe(20 * MIN);
    expect(a.withinBudget).toBe(true); // 20 min of a 30 min budget
  });

  it('counts the reading that was holding when a unit entered, from the moment it entered', async () => {
    // Readings every 10 min; 12 °C until 60. U1 boards at 25 during the excursion: outside 25–60 = 35 min
    // (the 12 °C reading of 20 holds at 25; the first reading after boarding is at 30).
    await sendAll(h, [...truck(10, 60, 90), pass('gw-room', s(), U1, 'room-a', 'truck-1', T0 + 25 * MIN)]);
    await h.engine.flush();
    const a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.units.locked).toBe(1);
    expect(a.timeOutsideMs).toBe(35 * MIN);
    expect(a.budgetRemainingMs).toBe(-5 * MIN);
    expect(a.withinBudget).toBe(false);
    expect(a.mktC).toBeCloseTo(12, 6);
  });

  it('adds a unit’s time across excursions, and reports the worst unit', async () => {
    // Two excursions (12 °C 0–20 and 60–90). U1 aboard throughout: 20 + 30 = 50 min; U2 only 60–90: 30.
    const ev: Ev[] = [];
    for (let m = 0; m <= 120; m += 5)
      ev.push(
        reading('gw-truck', s(), 'reefer-1', 'truck-1', T0 + m * MIN, m < 20 || (m >= 60 && m < 90) ? 12 : 5),
      );
    await sendAll(h, [
      pass('gw-room', s(), U1, 'room-a', 'truck-1', T0 - 5 * MIN),
      pass('gw-room', s(), U2, 'room-a', 'truck-1', T0 + 50 * MIN),
      ...ev,
    ]);
    await h.engine.flush();
    const a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.excursions.map((x) => [x.exposedUnits, x.timeOutsideMs])).toEqual([
      [1, 20 * MIN],
      [2, 30 * MIN],
    ]);
    expect(a.timeOutsideMs).toBe(50 * MIN);
    expect(a.cumulative).toEqual([]); // the product has no cumulative rule
  });
});

describe('the lot’s MKT over its custody so far (store/queries/lot-custody-mkt.ts, domain/lot-mkt.ts)', () => {
  const at = (min: number) => T0 + min * MIN;
  /**
   * USP <1079> by hand (ΔH/R = 10000 K; lot-mkt.test.ts checks the constant), with a pocket script, from the
   * weights below: [(20 min, 4 °C), (40 min, 6 °C), (2 min, 8 °C), (30 min, 10 °C), (30 min, 2 °C)].
   */
  const BY_HAND = 6.227343065553669;
  beforeEach(async () => {
    for (const id of ['dock', 'store-x']) await location(h, id);
  });

  it('reads the readings of the lot’s stays only, each weighted by its hold inside the stay', async () => {
    await sendAll(h, [
      // U1 in the room 0–60, U2 5–62 (one stay 0–62), then both on the truck (one stay from 60, open).
      pass('gw-room', s(), U1, 'dock', 'room-a', at(0)),
      pass('gw-room', s(), U2, 'dock', 'room-a', at(5)),
      pass('gw-room', s(), U1, 'room-a', 'truck-1', at(60)),
      pass('gw-room', s(), U2, 'room-a', 'truck-1', at(62)),
      // Room: 4 °C holds 0–20 (from −10), 6 °C 20–60, 8 °C 60–62 (the stay's end); 30 °C at 90 is after it.
      reading('gw-room', s(), 's-room', 'room-a', at(-10), 4),
      reading('gw-room', s(), 's-room', 'room-a', at(20), 6),
      reading('gw-room', s(), 's-room', 'room-a', at(60), 8),
      reading('gw-room', s(), 's-room', 'room-a', at(90), 30),
      // Truck: 20 °C at 30 holds until 60, before the lot came aboard; then 10 °C 60–90, 2 °C 90–120.
      reading('gw-truck', s(), 's-truck', 'truck-1', at(30), 20),
      reading('gw-truck', s(), 's-truck', 'truck-1', at(60), 10),
      reading('gw-truck', s(), 's-truck', 'truck-1', at(90), 2),
      reading('gw-truck', s(), 's-truck', 'truck-1', at(120), 3),
      // A store the lot never visited.
      reading('gw-room', s(), 's-store', 'store-x', at(30), 30),
      reading('gw-room', s(), 's-store', 'store-x', at(90), 30),
    ]);
    await h.engine.flush();
    expect(await lotCustodyMkt(h.engine.db, 'LOT-1')).toBeCloseTo(BY_HAND, 9);
  });

  it('is null for a lot that was never seen', async () => {
    await sendAll(h, [reading('gw-room', s(), 's-room', 'room-a', at(0), 5)]);
    expect(await lotCustodyMkt(h.engine.db, 'LOT-1')).toBeNull();
  });
});
