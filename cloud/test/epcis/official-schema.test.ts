import { describe, expect, it } from 'vitest';
import { epcisErrors, officialExamples } from './epcis-schema.js';

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

  it('rejects a sensor report whose type is neither a CBV measurement type nor a URI', () => {
    const doc = sensor();
    const el = (
      doc.epcisBody.eventList[0]!.sensorElementList as Array<{ sensorReport: Array<{ type: string }> }>
    )[0]!;
    el.sensorReport[0]!.type = 'Temp';
    expect(epcisErrors(doc).length).toBeGreaterThan(0);
  });
});
