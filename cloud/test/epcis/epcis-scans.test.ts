import { sgtin96Hex } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import type { EpcisScan } from '../../src/epcis/epcis-input.js';
import { lgtinUri } from '../../src/epcis/epcis-scans.js';
import { epcisErrors } from './epcis-schema.js';
import { demoInput, MIN, T0 } from './fixtures.js';

const GTIN = '80614141123458';
const unit = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const scan = (seq: number, over: Partial<EpcisScan>): EpcisScan => ({
  gatewayId: 'gw-s',
  seq,
  stationId: 'fridge-2',
  locationId: 'store-3',
  direction: 'putaway',
  ts: T0 + 400 * MIN + seq * 1000,
  epc: null,
  gtin: null,
  lot: null,
  ...over,
});

/** Barcode scans in EPCIS (docs/epcis.md "Barcode scans"): ObjectEvents with the station's CBV 2.0 bizStep. */
describe('barcode scans in the EPCIS export', () => {
  it('each station direction gives its CBV bizStep; SGTINs in epcList, units without serial per LGTIN in quantityList; schema-valid', () => {
    const doc = buildEpcisDocument(
      demoInput({
        scans: [
          scan(1, { direction: 'receiving', stationId: 'dock-1', locationId: 'dock', epc: unit(1) }),
          scan(2, { direction: 'putaway', epc: unit(1) }),
          scan(3, { direction: 'putaway', gtin: GTIN, lot: 'A1', companyPrefixLength: 7 }),
          scan(4, { direction: 'putaway', gtin: GTIN, lot: 'A1', companyPrefixLength: 7 }),
          scan(5, { direction: 'putaway', gtin: '09521234543213', lot: 'B/2' }),
          scan(60, { direction: 'picking', epc: unit(1) }),
          scan(90, { direction: 'dispatch', stationId: 'dock-1', locationId: 'dock', epc: unit(1) }),
        ],
      }),
    );
    expect(epcisErrors(doc)).toEqual([]);
    const events = doc.epcisBody.eventList.filter((e) => 'ct:scanDirection' in e);
    expect(events.map((e) => [e.bizStep, e.disposition ?? null, e['ct:scanDirection']])).toEqual([
      ['receiving', 'in_progress', 'receiving'],
      ['storing', null, 'putaway'],
      ['picking', null, 'picking'],
      ['shipping', 'in_transit', 'dispatch'],
    ]);
    const putaway = events[1]!;
    expect(putaway).toMatchObject({
      action: 'OBSERVE',
      epcList: ['urn:epc:id:sgtin:0614141.812345.1'],
      quantityList: [
        { epcClass: 'https://id.gs1.org/01/09521234543213/10/B%2F2', quantity: 1 },
        { epcClass: 'urn:epc:class:lgtin:0614141.812345.A1', quantity: 2 },
      ],
      readPoint: { id: expect.stringMatching(/\/scan-stations\/fridge-2$/) },
      bizLocation: { id: expect.stringMatching(/\/locations\/store-3$/) },
    });
    // Out of the location: no bizLocation (where the units go is not known), the location it left named.
    expect(events[3]).not.toHaveProperty('bizLocation');
    expect(events[3]).toMatchObject({ 'ct:fromLocation': expect.stringMatching(/\/locations\/dock$/) });
  });

  it('the LGTIN class URN splits the GTIN at its company prefix (TDS 2.x §6.3.11)', () => {
    expect(lgtinUri('80614141123458', '998877', 7)).toBe('urn:epc:class:lgtin:0614141.812345.998877');
    expect(lgtinUri('80614141123458', 'A"B', 7)).toBe('urn:epc:class:lgtin:0614141.812345.A%22B');
    expect(lgtinUri('80614141123458', 'A1', null)).toBe('https://id.gs1.org/01/80614141123458/10/A1');
  });

  it('any mix of scans gives a schema-valid document (property)', () => {
    const arb = fc.record({
      direction: fc.constantFrom('receiving', 'dispatch', 'putaway', 'picking' as const),
      serial: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      lot: fc.stringMatching(/^[A-Za-z0-9!"%&'()*+,\-./:;<=>?_]{1,20}$/),
      prefix: fc.option(fc.integer({ min: 6, max: 12 }), { nil: null }),
      dt: fc.integer({ min: 0, max: 20_000 }),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 12 }), fc.integer({ min: 0, max: 10_000 }), (xs, windowMs) => {
        const scans = xs.map((x, i) =>
          scan(i + 1, {
            direction: x.direction as EpcisScan['direction'],
            ts: T0 + x.dt,
            ...(x.serial === null
              ? { gtin: GTIN, lot: x.lot, companyPrefixLength: x.prefix }
              : { epc: unit(x.serial) }),
          }),
        );
        const doc = buildEpcisDocument(demoInput({ scans, groupingWindowMs: windowMs }));
        expect(epcisErrors(doc)).toEqual([]);
        // Every scan is in some event: serialised units once per group, counts summing to the scans.
        const evs = doc.epcisBody.eventList.filter((e) => 'ct:scanDirection' in e);
        const counted = evs.flatMap((e) => (e.quantityList as Array<{ quantity: number }> | undefined) ?? []);
        expect(counted.reduce((n, q) => n + q.quantity, 0)).toBe(xs.filter((x) => x.serial === null).length);
      }),
      { numRuns: 100 },
    );
  });
});
