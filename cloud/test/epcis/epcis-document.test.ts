import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEpcisDocument, eventIdOf } from '../../src/epcis/epcis-document.js';
import type { EpcisExportInput } from '../../src/epcis/epcis-input.js';
import { epcisErrors } from './epcis-schema.js';
import { arbExportInput, demoInput, epc, LOCATIONS, MIN, T0, UNKNOWN_EPC } from './fixtures.js';

type Ev = Record<string, unknown> & { epcList: string[]; eventTime: string };
const events = (input: EpcisExportInput) => buildEpcisDocument(input).epcisBody.eventList as unknown as Ev[];
const EMPTY = { passes: [], custody: [], readings: [], locks: [] };

describe('buildEpcisDocument', () => {
  it('exports the demo-like scenario as a schema-valid EPCIS 2.0 document', () => {
    const doc = buildEpcisDocument(demoInput());
    expect(epcisErrors(doc)).toEqual([]);
    expect(doc['@context'][0]).toBe('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld');
    expect(doc.creationDate).toBe(new Date(T0 + 600 * MIN).toISOString());
    const times = doc.epcisBody.eventList.map((e) => e.eventTime);
    expect([...times].sort()).toEqual(times);
  });

  it('maps a cold room → truck pass to shipping and truck → store to receiving, readPoint = portal', () => {
    const ev = events(demoInput()).filter((e) => e.bizStep === 'shipping' || e.bizStep === 'receiving');
    // the three cases and the undecodable tag 500 ms later: one door crossing, one event
    const shipping = ev.find((e) => e.bizStep === 'shipping')!;
    expect(ev.filter((e) => e.bizStep === 'shipping')).toHaveLength(1);
    expect(shipping.eventTime).toBe(new Date(T0 + 10 * MIN).toISOString());
    expect(shipping).toMatchObject({
      type: 'ObjectEvent',
      action: 'OBSERVE',
      disposition: 'in_transit',
      eventTimeZoneOffset: '+00:00',
      readPoint: { id: 'http://127.0.0.1:8080/api/v1/portals/dock-door-1' },
      bizLocation: { id: 'http://127.0.0.1:8080/api/v1/locations/truck-7' },
      'ct:fromLocation': 'https://id.gs1.org/414/0614141000012',
      'ct:direction': 'out',
    });
    expect(shipping.epcList).toEqual([
      'urn:epc:id:sgtin:0614141.812345.1',
      'urn:epc:id:sgtin:0614141.812345.2',
      'urn:epc:id:sgtin:0614141.812345.3',
      `urn:epc:raw:96.x${UNKNOWN_EPC}`,
    ]);
    const receiving = ev.find((e) => e.bizStep === 'receiving')!;
    expect(receiving).toMatchObject({
      disposition: 'in_progress',
      readPoint: { id: 'http://127.0.0.1:8080/api/v1/portals/store-door-3' },
      bizLocation: { id: 'http://127.0.0.1:8080/api/v1/locations/store-3' },
    });
  });

  it('writes an undecodable EPC as a TDS raw URI', () => {
    // window 0: only identical times share an event, so the tag read 500 ms after the cases stands alone
    const ev = events(demoInput({ groupingWindowMs: 0 })).filter((e) =>
      e.epcList.some((u) => u.startsWith('urn:epc:raw:')),
    );
    expect(ev.map((e) => e.epcList)).toEqual([
      [`urn:epc:raw:96.x${UNKNOWN_EPC}`],
      [`urn:epc:raw:96.x${UNKNOWN_EPC}`],
      [`urn:epc:raw:96.x${UNKNOWN_EPC}`],
    ]); // its pass, its (ongoing) truck custody, its lock
  });

  it('reports min, max and mean temperature per sensor over each custody interval', () => {
    const ev = events(demoInput()).filter((e) => e.bizStep === 'sensor_reporting');
    const truck = ev.find(
      (e) => (e.bizLocation as { id: string }).id.endsWith('/truck-7') && e.epcList.length === 3,
    )!;
    expect(truck.eventTime).toBe(new Date(T0 + 180 * MIN).toISOString());
    expect(truck.sensorElementList).toEqual([
      {
        sensorMetadata: {
          startTime: new Date(T0 + 10 * MIN).toISOString(),
          endTime: new Date(T0 + 180 * MIN).toISOString(),
          deviceID: 'http://127.0.0.1:8080/api/v1/sensors/truck7-a',
        },
        // readings at 15..165 min: 5 °C except i=4..7 → 15,16,17,18 °C; 16 readings in the interval
        sensorReport: [
          {
            type: 'Temperature',
            minValue: 5,
            maxValue: 18,
            meanValue: (12 * 5 + 15 + 16 + 17 + 18) / 16,
            uom: 'CEL',
          },
        ],
      },
      {
        sensorMetadata: {
          startTime: new Date(T0 + 10 * MIN).toISOString(),
          endTime: new Date(T0 + 180 * MIN).toISOString(),
          deviceID: 'http://127.0.0.1:8080/api/v1/sensors/truck7-b',
        },
        sensorReport: [{ type: 'Temperature', minValue: 12.5, maxValue: 12.5, meanValue: 12.5, uom: 'CEL' }],
      },
    ]);
    // the cold-room interval only covers readings before the pass at +10 min
    const room = ev.find(
      (e) => (e.bizLocation as { id: string }).id === 'https://id.gs1.org/414/0614141000012',
    )!;
    const report = (room.sensorElementList as Array<{ sensorReport: Array<Record<string, number>> }>)[0]!
      .sensorReport[0]!;
    expect(report).toMatchObject({ minValue: 4, maxValue: 4.5 });
    // an ongoing custody interval ends at asOf and is flagged
    const store = ev.find((e) => (e.bizLocation as { id: string }).id.endsWith('/store-3'))!;
    expect(store.eventTime).toBe(new Date(T0 + 600 * MIN).toISOString());
    expect(store['ct:custodyOngoing']).toBe(true);
  });

  it('writes locks as holding + persistentDisposition set, and their end as unset', () => {
    const ev = events(demoInput());
    const lock = ev.find((e) => e['ct:lockId'] === 'lock-1' && e.bizStep === 'holding')!;
    expect(lock).toMatchObject({
      disposition: 'non_sellable_other',
      persistentDisposition: { set: ['non_sellable_other'] },
      bizLocation: { id: 'http://127.0.0.1:8080/api/v1/locations/truck-7' },
      'ct:excursionId': 'truck-7@2025-03-10T08:55:00.000Z',
    });
    const released = ev.find((e) => e['ct:lockId'] === 'lock-1' && e['ct:outcome'] === 'released')!;
    expect(released).toMatchObject({
      bizStep: 'inspecting',
      disposition: 'sellable_accessible',
      persistentDisposition: { unset: ['non_sellable_other'] },
    });
    expect(released.persistentDisposition).not.toHaveProperty('set');
    const rejected = ev.find((e) => e['ct:lockId'] === 'lock-3' && e['ct:outcome'] === 'rejected')!;
    expect(rejected.persistentDisposition).toEqual({
      unset: ['non_sellable_other'],
      set: ['non_conformant'],
    });
    const open = ev.filter((e) => e['ct:lockId'] === 'lock-2');
    expect(open).toHaveLength(1);
  });

  it('is deterministic: same input, same document and event ids', () => {
    expect(buildEpcisDocument(demoInput())).toEqual(buildEpcisDocument(demoInput()));
    const ids = events(demoInput()).map((e) => e.eventID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(eventIdOf('x')).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('gives a valid document for passes in both directions and every pair of location kinds', () => {
    const kinds = ['room', 'dock', 'vehicle', 'store', 'other', 'mystery'];
    const locations = kinds.map((k) => ({ id: `loc-${k}`, kind: k }));
    const passes = kinds.flatMap((a, i) =>
      kinds.map((b, j) => ({
        epc: epc(i * 10 + j),
        portalId: 'p1',
        from: `loc-${a}`,
        to: `loc-${b}`,
        direction: (j % 2 ? 'in' : 'out') as 'in' | 'out',
        ts: T0 + (i * 10 + j) * MIN,
      })),
    );
    const doc = buildEpcisDocument({ ...demoInput(), ...EMPTY, locations, passes });
    expect(epcisErrors(doc)).toEqual([]);
    expect(doc.epcisBody.eventList).toHaveLength(36);
  });

  it('rejects bad input with a clear error', () => {
    expect(() => buildEpcisDocument({ ...demoInput(), timeZoneOffset: '+1' })).toThrow(/time zone offset/);
    expect(() => buildEpcisDocument({ ...demoInput(), baseUri: 'not a uri' })).toThrow(/base URI/);
    expect(() =>
      buildEpcisDocument({
        ...demoInput(),
        locations: [{ id: 'truck-7', kind: 'vehicle', gln: '0614141000013' }],
      }),
    ).toThrow(/check digit/);
    expect(() =>
      buildEpcisDocument({
        ...demoInput(),
        ...EMPTY,
        passes: [{ epc: 'XYZ', portalId: 'p', from: 'a', to: 'b', direction: 'in', ts: T0 }],
      }),
    ).toThrow(/not hexadecimal/);
    expect(() => buildEpcisDocument({ ...demoInput(), creationDate: Number.NaN })).toThrow(/creationDate/);
  });

  it('an empty export is a valid document with an empty event list', () => {
    const doc = buildEpcisDocument({ ...demoInput(), ...EMPTY, locations: [] });
    expect(doc.epcisBody.eventList).toEqual([]);
    expect(epcisErrors(doc)).toEqual([]);
  });

  it('property: random valid inputs (quantity holds included), grouped with random windows, always give schema-valid documents', () => {
    const arbInput = arbExportInput({ holds: true });
    fc.assert(
      fc.property(arbInput, (input) => {
        const errs = epcisErrors(buildEpcisDocument(input));
        if (errs.length) throw new Error(errs.join('\n'));
      }),
      { numRuns: 200 },
    );
  });

  it('locations carry LOCATIONS fixtures with GLN extension as Digital Link /254/', () => {
    const doc = buildEpcisDocument({
      ...demoInput(),
      ...EMPTY,
      locks: [{ id: 'l', epcs: [epc(1)], lockedAt: T0, locationId: 'dock-1' }],
    });
    expect(LOCATIONS.find((l) => l.id === 'dock-1')?.glnExtension).toBe('DOCK-1');
    expect(doc.epcisBody.eventList[0]!.bizLocation).toEqual({
      id: 'https://id.gs1.org/414/0614141000012/254/DOCK-1',
    });
  });
});
