import { describe, expect, it } from 'vitest';
import { buildEpcisDocument, eventIdOf } from '../../src/epcis/epcis-document.js';
import { epcisHoldOf } from '../../src/epcis/epcis-holds.js';
import type { EpcisHold } from '../../src/epcis/epcis-input.js';
import type { StoredEpcisHold } from '../../src/store/queries/epcis-holds.js';
import { epcisErrors } from './epcis-schema.js';
import { demoInput, MIN, T0 } from './fixtures.js';

const EMPTY = { passes: [], custody: [], readings: [], locks: [] };
const CLASS_A = 'urn:epc:class:lgtin:0614141.812345.A1';
const CLASS_B = 'https://id.gs1.org/01/09521234543213/10/B%2F2';

const hold = (over: Partial<EpcisHold>): EpcisHold => ({
  id: 'LOT-A|truck-7|x1',
  epcClass: CLASS_A,
  units: 12,
  heldAt: T0 + 100 * MIN,
  locationId: 'truck-7',
  excursionId: 'x1',
  reason: '12 unit(s) of lot LOT-A without serial exposed to excursion x1 at truck-7',
  ...over,
});

/** One of each end, given out of time order: an active hold, a release, a reject, a lift. */
const HOLDS: EpcisHold[] = [
  hold({
    id: 'LOT-B|store-3|x2',
    epcClass: CLASS_B,
    units: 3,
    heldAt: T0 + 250 * MIN,
    locationId: 'store-3',
    excursionId: 'x2',
    end: { at: T0 + 260 * MIN, outcome: 'auto_released', units: 3, reason: 'excursion withdrawn' },
  }),
  hold({ end: { at: T0 + 300 * MIN, outcome: 'released', units: 10, reason: 'stability data' } }),
  hold({
    id: 'LOT-A|dock-1|x1',
    locationId: 'dock-1',
    units: 4,
    heldAt: T0 + 101 * MIN,
    end: { at: T0 + 200 * MIN, outcome: 'rejected', units: 4, reason: 'out of budget' },
  }),
  hold({ id: 'LOT-C|truck-7|x1', heldAt: T0 + 100 * MIN, units: 1 }),
];

type Ev = Record<string, unknown> & { eventTime: string; eventID: string };
const holdEventsOf = (holds: readonly EpcisHold[]) =>
  (buildEpcisDocument({ ...demoInput(), ...EMPTY, holds }).epcisBody.eventList as unknown as Ev[]).filter(
    (e) => 'ct:holdId' in e,
  );

describe('quantity holds in the EPCIS export', () => {
  it('each hold is a holding event with its lot class and units in quantityList, its end an unset; schema-valid', () => {
    const doc = buildEpcisDocument({ ...demoInput(), holds: HOLDS });
    expect(epcisErrors(doc)).toEqual([]);
    const ev = holdEventsOf(HOLDS);
    expect(ev).toHaveLength(7); // four holds, three ended
    const set = ev.find((e) => e['ct:holdId'] === 'LOT-A|truck-7|x1' && e.bizStep === 'holding')!;
    expect(set).toEqual({
      type: 'ObjectEvent',
      eventTime: new Date(T0 + 100 * MIN).toISOString(),
      eventTimeZoneOffset: '+00:00',
      eventID: eventIdOf('hold|LOT-A|truck-7|x1'),
      quantityList: [{ epcClass: CLASS_A, quantity: 12 }],
      action: 'OBSERVE',
      bizStep: 'holding',
      disposition: 'non_sellable_other',
      persistentDisposition: { set: ['non_sellable_other'] },
      bizLocation: { id: 'http://127.0.0.1:8080/api/v1/locations/truck-7' },
      'ct:holdId': 'LOT-A|truck-7|x1',
      'ct:excursionId': 'x1',
      'ct:reason': '12 unit(s) of lot LOT-A without serial exposed to excursion x1 at truck-7',
    });
    expect(set).not.toHaveProperty('epcList');
    // Released for the units the decision covered (10 of 12: two were exposed after it and stay held).
    const released = ev.find((e) => e['ct:outcome'] === 'released')!;
    expect(released).toMatchObject({
      eventTime: new Date(T0 + 300 * MIN).toISOString(),
      quantityList: [{ epcClass: CLASS_A, quantity: 10 }],
      bizStep: 'inspecting',
      disposition: 'sellable_accessible',
      persistentDisposition: { unset: ['non_sellable_other'] },
      'ct:holdId': 'LOT-A|truck-7|x1',
      'ct:excursionId': 'x1',
      'ct:reason': 'stability data',
    });
    expect(released.persistentDisposition).not.toHaveProperty('set');
    const rejected = ev.find((e) => e['ct:outcome'] === 'rejected')!;
    expect(rejected).toMatchObject({
      bizStep: 'inspecting',
      disposition: 'non_conformant',
      persistentDisposition: { unset: ['non_sellable_other'], set: ['non_conformant'] },
      bizLocation: { id: 'https://id.gs1.org/414/0614141000012/254/DOCK-1' },
      quantityList: [{ epcClass: CLASS_A, quantity: 4 }],
    });
    const lifted = ev.find((e) => e['ct:outcome'] === 'auto_released')!;
    expect(lifted).toMatchObject({
      bizStep: 'holding',
      disposition: 'sellable_accessible',
      persistentDisposition: { unset: ['non_sellable_other'] },
      quantityList: [{ epcClass: CLASS_B, quantity: 3 }],
    });
    // The active hold has its holding event only.
    expect(ev.filter((e) => e['ct:holdId'] === 'LOT-C|truck-7|x1').map((e) => e.bizStep)).toEqual([
      'holding',
    ]);
  });

  it('events are in time order, holding before its end at equal times; ids deterministic and unique', () => {
    const ev = holdEventsOf(HOLDS);
    const times = ev.map((e) => e.eventTime);
    expect(times).toEqual([...times].sort());
    expect(ev.map((e) => [e['ct:holdId'], e['ct:outcome'] ?? 'held'])).toEqual([
      // Equal times order by eventID; both holds at +100 min precede everything later.
      ...[
        ['LOT-A|truck-7|x1', 'held'],
        ['LOT-C|truck-7|x1', 'held'],
      ].sort((a, b) => (eventIdOf(`hold|${a[0]}`) < eventIdOf(`hold|${b[0]}`) ? -1 : 1)),
      ['LOT-A|dock-1|x1', 'held'],
      ['LOT-A|dock-1|x1', 'rejected'],
      ['LOT-B|store-3|x2', 'held'],
      ['LOT-B|store-3|x2', 'auto_released'],
      ['LOT-A|truck-7|x1', 'released'],
    ]);
    // The same input in another order gives the same document.
    const again = holdEventsOf([...HOLDS].reverse());
    expect(again).toEqual(ev);
    expect(new Set(ev.map((e) => e.eventID)).size).toBe(ev.length);
    // An end at the hold's own time still follows it.
    const instant = holdEventsOf([
      hold({ end: { at: T0 + 100 * MIN, outcome: 'auto_released', units: 12 } }),
    ]);
    expect(instant.map((e) => e.bizStep)).toEqual(['holding', 'holding']);
    expect(instant.map((e) => e['ct:outcome'] ?? null)).toEqual([null, 'auto_released']);
  });

  it('a decision that covered none of the units now held gives no end event; bad counts are refused', () => {
    const ev = holdEventsOf([hold({ end: { at: T0 + 300 * MIN, outcome: 'released', units: 0 } })]);
    expect(ev.map((e) => e.bizStep)).toEqual(['holding']);
    expect(() => holdEventsOf([hold({ units: 1.5 })])).toThrow(/not a count/);
    expect(() => holdEventsOf([hold({ end: { at: T0, outcome: 'paused' as never, units: 1 } })])).toThrow(
      /unknown outcome/,
    );
  });
});

describe('epcisHoldOf: a stored hold as an EPCIS hold record', () => {
  const stored = (over: Partial<StoredEpcisHold>): StoredEpcisHold => ({
    lotId: 'LOT-A',
    locationId: 'truck-7',
    excursionId: 'x1',
    units: 12,
    state: 'active',
    decidedUnits: null,
    reason: 'row reason',
    createdAt: 1_000,
    updatedAt: 5_000,
    gtin: '80614141123458',
    lotNumber: 'A1',
    companyPrefixLength: 7,
    decision: null,
    ...over,
  });

  it('held at creation; a decision ends it at its signature for the units it covered, a lift at the update', () => {
    expect(epcisHoldOf(stored({}))).toEqual({
      id: 'LOT-A|truck-7|x1',
      epcClass: CLASS_A,
      units: 12,
      heldAt: 1_000,
      locationId: 'truck-7',
      excursionId: 'x1',
      reason: '12 unit(s) of lot LOT-A without serial exposed to excursion x1 at truck-7',
      end: null,
    });
    expect(
      epcisHoldOf(
        stored({ state: 'released', decidedUnits: 10, decision: { signedAt: 3_000, reason: 'ok' } }),
      ).end,
    ).toEqual({ at: 3_000, outcome: 'released', units: 10, reason: 'ok' });
    expect(
      epcisHoldOf(stored({ state: 'rejected', decidedUnits: 12, decision: { signedAt: 500, reason: 'no' } }))
        .end,
    ).toEqual({ at: 1_000, outcome: 'rejected', units: 12, reason: 'no' }); // never before the hold
    expect(epcisHoldOf(stored({ state: 'lifted' })).end).toEqual({
      at: 5_000,
      outcome: 'auto_released',
      units: 12,
      reason: 'row reason',
    });
    // Without a known company prefix length: the lot's GS1 Digital Link URI.
    expect(epcisHoldOf(stored({ companyPrefixLength: null })).epcClass).toBe(
      'https://id.gs1.org/01/80614141123458/10/A1',
    );
  });
});
