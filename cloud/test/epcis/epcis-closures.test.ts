import { describe, expect, it } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import { epcisErrors } from './epcis-schema.js';
import { demoInput, epc, MIN, T0 } from './fixtures.js';

/** Rejected stock's end in EPCIS (CBV 2.0): destroyed, or shipped back to the supplier as returned. */
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
});
