import { describe, expect, it } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import { epcisErrors, officialExamples } from './epcis-schema.js';
import { demoInput, MIN, T0 } from './fixtures.js';

type Doc = { epcisBody: { eventList: Array<Record<string, unknown>> } };

describe('the EPCIS 2.0 JSON schema validator (ajv 8 + ajv-formats)', () => {
  const examples = officialExamples();

  it('finds the 45 official examples', () => {
    expect(examples.length).toBe(45);
  });

  it.each(examples.map((e) => [e.name, e.doc] as const))('accepts the official example %s', (_name, doc) => {
    expect(epcisErrors(doc)).toEqual([]);
  });

  const sensor = () =>
    structuredClone(examples.find((e) => e.name === 'SensorDataExample2.jsonld')!.doc) as Doc;

  it('rejects a bare non-CBV bizStep ("quarantine")', () => {
    const doc = sensor();
    doc.epcisBody.eventList[0]!.disposition = 'quarantine';
    expect(epcisErrors(doc).length).toBeGreaterThan(0);
  });

  it('rejects an event without eventTimeZoneOffset', () => {
    const doc = sensor();
    delete doc.epcisBody.eventList[0]!.eventTimeZoneOffset;
    expect(epcisErrors(doc).length).toBeGreaterThan(0);
  });

  it('rejects a readPoint id that is not an absolute URI', () => {
    const doc = sensor();
    doc.epcisBody.eventList[0]!.readPoint = { id: 'coldroom 1' };
    expect(epcisErrors(doc).length).toBeGreaterThan(0);
  });

  it('accepts an export with quantity holds, and rejects a hold whose count or class is malformed', () => {
    const withHolds = () =>
      buildEpcisDocument(
        demoInput({
          holds: [
            {
              id: 'LOT-A|truck-7|x1',
              epcClass: 'urn:epc:class:lgtin:0614141.812345.A1',
              units: 12,
              heldAt: T0 + 100 * MIN,
              locationId: 'truck-7',
              excursionId: 'x1',
              end: { at: T0 + 300 * MIN, outcome: 'rejected', units: 12, reason: 'out of budget' },
            },
          ],
        }),
      ) as unknown as Doc;
    const held = (doc: Doc) =>
      doc.epcisBody.eventList.filter((e) => 'ct:holdId' in e) as Array<{
        quantityList: Array<Record<string, unknown>>;
      }>;
    const doc = withHolds();
    expect(held(doc)).toHaveLength(2);
    expect(epcisErrors(doc)).toEqual([]);
    const badCount = withHolds();
    held(badCount)[0]!.quantityList[0]!.quantity = 'twelve';
    expect(epcisErrors(badCount).length).toBeGreaterThan(0);
    const badClass = withHolds();
    held(badClass)[1]!.quantityList[0]!.epcClass = 'lot A1';
    expect(epcisErrors(badClass).length).toBeGreaterThan(0);
  });

  it('rejects a sensor report whose type is neither a CBV measurement type nor a URI', () => {
    const doc = sensor();
    const el = (
      doc.epcisBody.eventList[0]!.sensorElementList as Array<{ sensorReport: Array<{ type: string }> }>
    )[0]!;
    el.sensorReport[0]!.type = 'Temp';
    expect(epcisErrors(doc).length).toBeGreaterThan(0);
  });
});
