import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import {
  DEFAULT_EPCIS_GROUPING_WINDOW_MS,
  groupCustody,
  groupPasses,
} from '../../src/epcis/epcis-grouping.js';
import { epcUri } from '../../src/epcis/epcis-identifiers.js';
import type { EpcisExportInput, EpcisLock, EpcisPass } from '../../src/epcis/epcis-input.js';
import { epcisErrors } from './epcis-schema.js';
import { arbExportInput, demoInput, epc, MIN, T0 } from './fixtures.js';

type Ev = Record<string, unknown> & {
  epcList: string[];
  eventTime: string;
  bizStep: string;
  eventID: string;
  readPoint?: { id: string };
  bizLocation?: { id: string };
  persistentDisposition?: { set?: string[]; unset?: string[] };
  sensorElementList?: Array<{ sensorMetadata: { startTime: string; endTime: string; deviceID: string } }>;
};
const EMPTY = { passes: [], custody: [], readings: [], locks: [] };
const W = DEFAULT_EPCIS_GROUPING_WINDOW_MS;
const doc = (over: Partial<EpcisExportInput>) => buildEpcisDocument({ ...demoInput(), ...EMPTY, ...over });
const events = (over: Partial<EpcisExportInput>) => doc(over).epcisBody.eventList as unknown as Ev[];
const pass = (serial: number, ts: number, over: Partial<EpcisPass> = {}): EpcisPass => ({
  epc: epc(serial),
  portalId: 'dock-door-1',
  from: 'coldroom-1',
  to: 'truck-7',
  direction: 'out',
  ts,
  ...over,
});
const passEvents = (evs: Ev[]) => evs.filter((e) => e.readPoint?.id.includes('/portals/'));

/** bizStep → sorted set of EPC URIs over all events of that bizStep. */
const epcsPerBizStep = (evs: Ev[]) => {
  const m = new Map<string, Set<string>>();
  for (const e of evs) {
    const s = m.get(e.bizStep) ?? new Set<string>();
    for (const u of e.epcList) s.add(u);
    m.set(e.bizStep, s);
  }
  return Object.fromEntries([...m].map(([k, s]) => [k, [...s].sort()]).sort());
};

describe('EPCIS grouping: one event per door crossing', () => {
  it('property: a pallet of N cases crossing within the window gives exactly one pass event with N EPCs', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 48 }),
        fc.array(fc.integer({ min: 0, max: W }), { minLength: 48, maxLength: 48 }),
        (serials, offsets) => {
          const passes = serials.map((s, i) => pass(s, T0 + offsets[i]!));
          const evs = passEvents(events({ passes }));
          expect(evs).toHaveLength(1);
          expect(evs[0]!.epcList).toEqual(serials.map((s) => epcUri(epc(s))).sort());
          const first = Math.min(...passes.map((p) => p.ts));
          expect(evs[0]!.eventTime).toBe(new Date(first).toISOString());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps passes further apart than the window in separate events; the window runs from the first pass', () => {
    // two pallets W + 1 ms apart
    const two = passEvents(
      events({ passes: [pass(1, T0), pass(2, T0 + 10), pass(3, T0 + W + 1), pass(4, T0 + W + 20)] }),
    );
    expect(two.map((e) => e.epcList.length)).toEqual([2, 2]);
    // 0, 3 s, 6 s: the third is 6 s from the group's first, so it opens a new group (no chaining)
    const chain = passEvents(events({ passes: [pass(1, T0), pass(2, T0 + 3000), pass(3, T0 + 6000)] }));
    expect(chain.map((e) => [e.eventTime, e.epcList.length])).toEqual([
      [new Date(T0).toISOString(), 2],
      [new Date(T0 + 6000).toISOString(), 1],
    ]);
    // exactly the window: still one crossing
    expect(passEvents(events({ passes: [pass(1, T0), pass(2, T0 + W)] }))).toHaveLength(1);
  });

  it('never merges passes of different portals, locations or directions', () => {
    const passes = [
      pass(1, T0),
      pass(2, T0 + 1, { portalId: 'dock-door-2' }),
      pass(3, T0 + 2, { to: 'yard' }),
      pass(4, T0 + 3, { from: 'dock-1' }),
      pass(5, T0 + 4, { direction: 'in' }),
      pass(6, T0 + 5, { direction: null }),
    ];
    const evs = passEvents(events({ passes }));
    expect(evs).toHaveLength(6);
    expect(epcisErrors(doc({ passes }))).toEqual([]);
  });

  it('the window is configurable; 0 merges only identical times, a bad window is a clear error', () => {
    const passes = [pass(1, T0), pass(2, T0), pass(3, T0 + 1)];
    expect(passEvents(events({ passes, groupingWindowMs: 0 })).map((e) => e.epcList.length)).toEqual([2, 1]);
    expect(passEvents(events({ passes, groupingWindowMs: 60 * MIN }))).toHaveLength(1);
    expect(() => doc({ passes, groupingWindowMs: -1 })).toThrow(/grouping window/);
    expect(() => doc({ passes, groupingWindowMs: Number.NaN })).toThrow(/grouping window/);
  });

  it('is independent of the input order and keeps event ids of a crossing stable', () => {
    const passes = Array.from({ length: 24 }, (_, i) => pass(i + 1, T0 + ((i * 37) % 200)));
    const a = doc({ passes });
    const b = doc({ passes: [...passes].reverse() });
    expect(b).toEqual(a);
    expect(groupPasses(passes, W)).toHaveLength(1);
  });
});

describe('EPCIS grouping: one sensor event per custody interval of a pallet', () => {
  const readings = Array.from({ length: 20 }, (_, i) => ({
    sensorId: 'truck7-a',
    locationId: 'truck-7',
    ts: T0 + i * 10 * MIN,
    tempC: i === 10 ? 14 : 5,
  }));
  const stay = (serial: number, inMs: number, outMs: number | null) => ({
    epc: epc(serial),
    locationId: 'truck-7',
    enteredAt: T0 + 5 * MIN + inMs,
    leftAt: outMs === null ? null : T0 + 150 * MIN + outMs,
  });

  it('intervals that began and ended within the window share one event over the union interval', () => {
    const custody = Array.from({ length: 24 }, (_, i) => stay(i + 1, i * 100, 2000 - i * 100));
    const evs = events({ custody, readings }).filter((e) => e.bizStep === 'sensor_reporting');
    expect(evs).toHaveLength(1);
    expect(evs[0]!.epcList).toHaveLength(24);
    const meta = evs[0]!.sensorElementList![0]!.sensorMetadata;
    expect(meta.startTime).toBe(new Date(T0 + 5 * MIN).toISOString()); // earliest entry
    expect(meta.endTime).toBe(new Date(T0 + 150 * MIN + 2000).toISOString()); // latest exit
    expect(evs[0]!.eventTime).toBe(meta.endTime);
  });

  it('intervals whose start or end differ by more than the window, or ongoing vs closed, stay apart', () => {
    const custody = [
      stay(1, 0, 0),
      stay(2, W + 1, 0), // entered later
      stay(3, 0, W + 1), // left later
      stay(4, 0, null), // still there
      stay(5, 10, null),
    ];
    const evs = events({ custody, readings }).filter((e) => e.bizStep === 'sensor_reporting');
    expect(evs.map((e) => e.epcList.length).sort()).toEqual([1, 1, 1, 2]);
    expect(evs.filter((e) => e['ct:custodyOngoing'] === true).map((e) => e.epcList.length)).toEqual([2]);
    expect(groupCustody(custody, T0 + 600 * MIN, 0)).toHaveLength(5);
  });
});

describe('EPCIS grouping: locks', () => {
  const lock = (
    id: string,
    serials: number[],
    lockedAt: number,
    over: Partial<EpcisLock> = {},
  ): EpcisLock => ({
    id,
    epcs: serials.map(epc),
    lockedAt,
    locationId: 'truck-7',
    excursionId: 'truck-7@x',
    lotId: 'LOT-A',
    reason: 'excursion',
    ...over,
  });
  const released = (at: number) => ({ at, outcome: 'released' as const, reason: 'ok' });

  it('merges locks of one excursion and lot set together and ended by the same decision', () => {
    const locks = [
      lock('a', [1, 2], T0, { end: released(T0 + 60 * MIN) }),
      lock('b', [3], T0 + 800, { end: released(T0 + 60 * MIN) }),
    ];
    const evs = events({ locks });
    expect(evs).toHaveLength(2);
    const [set, unset] = evs;
    expect(set!.persistentDisposition).toEqual({ set: ['non_sellable_other'] });
    expect(set!.epcList).toHaveLength(3);
    expect(set!.eventTime).toBe(new Date(T0).toISOString());
    expect(unset!.persistentDisposition?.unset).toEqual(['non_sellable_other']);
    expect(unset!.epcList).toEqual(set!.epcList);
    expect(unset!['ct:lockId']).toBe(set!['ct:lockId']);
    expect(set!['ct:lockId']).toBe('a');
  });

  it('keeps locks apart across lots, decisions, excursions, or times further apart than the window', () => {
    const locks = [
      lock('a', [1], T0, { end: released(T0 + 60 * MIN) }),
      lock('b', [2], T0, { lotId: 'LOT-B', end: released(T0 + 60 * MIN) }),
      lock('c', [3], T0, { end: { at: T0 + 60 * MIN, outcome: 'rejected', reason: 'no' } }),
      lock('d', [4], T0, { excursionId: 'store@y', end: released(T0 + 60 * MIN) }),
      lock('e', [5], T0 + W + 1, { end: released(T0 + 60 * MIN) }),
      lock('f', [6], T0, { end: released(T0 + 90 * MIN) }),
      lock('g', [7], T0), // still in force
      lock('h', [8], T0, { excursionId: null }),
      lock('i', [9], T0, { excursionId: null }),
    ];
    const sets = events({ locks }).filter((e) =>
      e.persistentDisposition?.set?.includes('non_sellable_other'),
    );
    expect(sets).toHaveLength(9);
  });
});

describe('EPCIS grouping: property over random inputs', () => {
  it('grouping leaves the set of EPCs per bizStep unchanged, and every pass lies in its event window', () => {
    fc.assert(
      fc.property(arbExportInput(), fc.constantFrom(1, 5_000, 60_000, 1e8), (input, windowMs) => {
        const grouped = buildEpcisDocument({ ...input, groupingWindowMs: windowMs });
        const errs = epcisErrors(grouped);
        if (errs.length) throw new Error(errs.join('\n'));
        const g = grouped.epcisBody.eventList as unknown as Ev[];
        const single = buildEpcisDocument({ ...input, groupingWindowMs: 0 }).epcisBody
          .eventList as unknown as Ev[];
        expect(epcsPerBizStep(g)).toEqual(epcsPerBizStep(single));
        expect(g.length).toBeLessThanOrEqual(single.length);
        // every input pass is in an event of its portal and destination whose time is ≤ its own and
        // within the window of it
        const passEvs = passEvents(g);
        for (const p of input.passes) {
          const u = epcUri(p.epc);
          const hit = passEvs.some((e) => {
            const t = Date.parse(e.eventTime);
            return (
              e.readPoint!.id.endsWith(`/portals/${encodeURIComponent(p.portalId)}`) &&
              e.epcList.includes(u) &&
              t <= p.ts &&
              p.ts - t <= windowMs
            );
          });
          expect(hit, `pass ${JSON.stringify(p)}`).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
