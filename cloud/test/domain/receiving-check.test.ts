import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReceivedUnit, receivingCheck, type ShippedUnit } from '../../src/domain/receiving-check.js';

const shipped = (epc: string, leftAt = 1, nowAt: string | null = null): ShippedUnit => ({
  epc,
  lotId: 'L',
  leftAt,
  nowAt,
});
const received = (epc: string, receivedAt = 2): ReceivedUnit => ({
  epc,
  lotId: 'L',
  receivedAt,
  via: { kind: 'scan', id: 'recv-1' },
  cameFrom: 'truck',
});

describe('receivingCheck', () => {
  it('names the units shipped and not received, and received but not shipped; counts the rest', () => {
    const r = receivingCheck({
      shipped: [shipped('A'), shipped('B', 1, 'truck-2'), shipped('C')],
      received: [received('A'), received('C'), received('X')],
      quantities: { shipped: { L1: 10, L2: 3 }, received: { L1: 9, L3: 2 } },
    });
    expect(r.matched).toBe(2);
    expect(r.missing).toEqual([shipped('B', 1, 'truck-2')]);
    expect(r.unexpected).toEqual([received('X')]);
    expect(r.quantities).toEqual([
      { lotId: 'L1', shipped: 10, received: 9, difference: -1 },
      { lotId: 'L2', shipped: 3, received: 0, difference: -3 },
      { lotId: 'L3', shipped: 0, received: 2, difference: 2 },
    ]);
  });

  it('a unit moved twice in the window is one unit, at its first departure and arrival', () => {
    const r = receivingCheck({
      shipped: [shipped('B', 9), shipped('B', 3)],
      received: [received('Y', 8), received('Y', 4)],
      quantities: { shipped: {}, received: {} },
    });
    expect(r.missing).toEqual([shipped('B', 3)]);
    expect(r.unexpected).toEqual([received('Y', 4)]);
  });

  it('for any shipments and arrivals (duplicates, any order): missing + matched = shipped, unexpected + matched = received', () => {
    const epc = fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F');
    fc.assert(
      fc.property(
        fc.array(fc.record({ epc, t: fc.nat(100) })),
        fc.array(fc.record({ epc, t: fc.nat(100) })),
        (s, rcv) => {
          const r = receivingCheck({
            shipped: s.map((x) => shipped(x.epc, x.t)),
            received: rcv.map((x) => received(x.epc, x.t)),
            quantities: { shipped: {}, received: {} },
          });
          const S = new Set(s.map((x) => x.epc));
          const R = new Set(rcv.map((x) => x.epc));
          const both = [...S].filter((e) => R.has(e));
          expect(r.matched).toBe(both.length);
          expect(r.missing.map((u) => u.epc)).toEqual([...S].filter((e) => !R.has(e)).sort());
          expect(r.unexpected.map((u) => u.epc)).toEqual([...R].filter((e) => !S.has(e)).sort());
          for (const u of r.missing)
            expect(u.leftAt).toBe(Math.min(...s.filter((x) => x.epc === u.epc).map((x) => x.t)));
        },
      ),
    );
  });
});
