import { describe, expect, it } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import { epcisErrors } from './epcis-schema.js';
import { demoInput, epc, MIN, T0 } from './fixtures.js';

/**
 * Rejected stock's end in EPCIS (CBV 2.0): destroyed, or shipped back to the supplier as returned; closed held
 * quantities of units without serial by their lot class.
 */
describe('closing records of rejected stock', () => {
  it('become destroying/destroyed and shipping/returned ObjectEvents, schema-valid', () => {
    const doc = buildEpcisDocument(
      demoInput({
        closures: [
          {
            id: 'c-1',
            epcs: [epc(2)],
            at: T0 + 300 * MIN,
            outcome: 'destroyed',
            reference: 'DC-7',
            locationId: 'store-3',
          },
          { id: 'c-2', epcs: [epc(3)], at: T0 + 301 * MIN, outcome: 'returned', reference: 'RMA-9' },
        ],
      }),
    );
    expect(epcisErrors(doc)).toEqual([]);
    const ends = doc.epcisBody.eventList.filter((e) => 'ct:closureId' in e);
    expect(ends.map((e) => [e.bizStep, e.disposition, e['ct:reference']])).toEqual([
      ['destroying', 'destroyed', 'DC-7'],
      ['shipping', 'returned', 'RMA-9'],
    ]);
    expect(ends[0]).toMatchObject({
      action: 'OBSERVE',
      bizLocation: { id: expect.stringContaining('store-3') },
    });
    expect(ends[1]).not.toHaveProperty('bizLocation');
  });

  it('closed held quantities of units without serial are in quantityList, with or without EPC units', () => {
    const cls = 'urn:epc:class:lgtin:0614141.812345.A1';
    const doc = buildEpcisDocument(
      demoInput({
        closures: [
          {
            id: 'c-held',
            epcs: [],
            quantities: [{ epcClass: cls, quantity: 3 }],
            at: T0 + 300 * MIN,
            outcome: 'destroyed',
            reference: 'DC-8',
            locationId: 'store-3',
          },
          {
            id: 'c-both',
            epcs: [epc(2)],
            quantities: [{ epcClass: cls, quantity: 2 }],
            at: T0 + 301 * MIN,
            outcome: 'returned',
            reference: 'RMA-10',
          },
        ],
      }),
    );
    expect(epcisErrors(doc)).toEqual([]);
    const ends = doc.epcisBody.eventList.filter((e) => 'ct:closureId' in e);
    expect(ends.map((e) => [e['ct:closureId'], e.epcList ?? null, e.quantityList])).toEqual([
      ['c-held', null, [{ epcClass: cls, quantity: 3 }]],
      ['c-both', ['urn:epc:id:sgtin:0614141.812345.2'], [{ epcClass: cls, quantity: 2 }]],
    ]);
  });
});
