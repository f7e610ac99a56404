import { sgtin96Hex } from '@coldtrace/shared';
import fc from 'fast-check';
import type { EpcisExportInput } from '../../src/epcis/epcis-input.js';
import { lgtinUri } from '../../src/epcis/epcis-scans.js';

export const T0 = Date.UTC(2025, 2, 10, 8, 0, 0);
export const MIN = 60_000;

export const epc = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
/** Header 0xE2 is no TDS scheme: an uncommissioned, undecodable tag. */
export const UNKNOWN_EPC = 'E2801160600002054C2D9F1A';

export const LOCATIONS: EpcisExportInput['locations'] = [
  { id: 'coldroom-1', kind: 'room', gln: '0614141000012' },
  { id: 'dock-1', kind: 'dock', gln: '0614141000012', glnExtension: 'DOCK-1' },
  { id: 'truck-7', kind: 'vehicle' },
  { id: 'store-3', kind: 'store' },
  { id: 'yard', kind: 'other' },
];

/** A demo-like day: three cases leave the cold room, ride truck-7 (whose reefer fails), reach store-3. */
export function demoInput(over: Partial<EpcisExportInput> = {}): EpcisExportInput {
  const cases = [epc(1), epc(2), epc(3)];
  const pass = (
    e: string,
    portalId: string,
    from: string,
    to: string,
    direction: 'in' | 'out',
    ts: number,
  ) => ({
    epc: e,
    portalId,
    from,
    to,
    direction,
    ts,
  });
  return {
    creationDate: T0 + 600 * MIN,
    asOf: T0 + 600 * MIN,
    baseUri: 'http://127.0.0.1:8080/api/v1',
    locations: LOCATIONS,
    passes: [
      ...cases.map((e) => pass(e, 'dock-door-1', 'coldroom-1', 'truck-7', 'out', T0 + 10 * MIN)),
      pass(UNKNOWN_EPC, 'dock-door-1', 'coldroom-1', 'truck-7', 'out', T0 + 10 * MIN + 500),
      ...cases.map((e) => pass(e, 'store-door-3', 'truck-7', 'store-3', 'in', T0 + 180 * MIN)),
    ],
    custody: [
      ...cases.map((e) => ({
        epc: e,
        locationId: 'coldroom-1',
        enteredAt: T0 - 600 * MIN,
        leftAt: T0 + 10 * MIN,
      })),
      ...cases.map((e) => ({
        epc: e,
        locationId: 'truck-7',
        enteredAt: T0 + 10 * MIN,
        leftAt: T0 + 180 * MIN,
      })),
      ...cases.map((e) => ({ epc: e, locationId: 'store-3', enteredAt: T0 + 180 * MIN, leftAt: null })),
      { epc: UNKNOWN_EPC, locationId: 'truck-7', enteredAt: T0 + 10 * MIN + 500, leftAt: null },
    ],
    readings: [
      ...[0, 1, 2, 3, 4, 5].map((i) => ({
        sensorId: 'cr1-a',
        locationId: 'coldroom-1',
        ts: T0 - 60 * MIN + i * 10 * MIN,
        tempC: 4 + i * 0.1,
      })),
      ...Array.from({ length: 16 }, (_, i) => ({
        sensorId: 'truck7-a',
        locationId: 'truck-7',
        ts: T0 + 15 * MIN + i * 10 * MIN,
        tempC: i >= 4 && i < 8 ? 11 + i : 5,
      })),
      { sensorId: 'truck7-b', locationId: 'truck-7', ts: T0 + 60 * MIN, tempC: 12.5 },
      { sensorId: 'truck7-b', locationId: 'truck-7', ts: T0 + 70 * MIN, tempC: null },
      { sensorId: 'store3-a', locationId: 'store-3', ts: T0 + 200 * MIN, tempC: 6 },
    ],
    locks: [
      {
        id: 'lock-1',
        epcs: cases,
        lockedAt: T0 + 95 * MIN,
        locationId: 'truck-7',
        excursionId: 'truck-7@2025-03-10T08:55:00.000Z',
        reason: 'excursion above 8 °C',
        end: { at: T0 + 400 * MIN, outcome: 'released', reason: 'stability data covers 2 h at 15 °C' },
      },
      { id: 'lock-2', epcs: [UNKNOWN_EPC], lockedAt: T0 + 95 * MIN, locationId: 'truck-7' },
      {
        id: 'lock-3',
        epcs: [epc(9)],
        lockedAt: T0 + 95 * MIN,
        end: { at: T0 + 300 * MIN, outcome: 'rejected', reason: 'outside stability budget' },
      },
    ],
    ...over,
  };
}

/**
 * Random valid export inputs: loose passes, pallets (several cases through one portal within seconds),
 * loose custody intervals, stays (cases that entered and left one location within seconds of each other),
 * readings, locks (of random excursions and lots), random time zone and grouping window; with `holds`, quantity
 * holds of units without serial too (their events have a `quantityList` and no `epcList`).
 */
export function arbExportInput(opts: { holds?: boolean } = {}): fc.Arbitrary<EpcisExportInput> {
  const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/);
  const ts = fc.integer({ min: T0 - 1e9, max: T0 + 1e9 });
  const hex = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 38 - 1 }).map((s) => epc(s)),
    fc.stringMatching(/^(?:[0-9A-F]{4}){2,8}$/),
  );
  const kind = fc.constantFrom('room', 'dock', 'vehicle', 'store', 'other', 'odd');
  return fc
    .record({
      locIds: fc.uniqueArray(id, { minLength: 1, maxLength: 5 }),
      kinds: fc.array(kind, { minLength: 5, maxLength: 5 }),
      glns: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      passes: fc.array(
        fc.record({
          epc: hex,
          portalId: id,
          a: fc.nat(4),
          b: fc.nat(4),
          dir: fc.constantFrom('in', 'out', null),
          ts,
        }),
        { maxLength: 8 },
      ),
      // pallets: several cases through one portal within a few seconds (grouped into door crossings)
      pallets: fc.array(
        fc.record({
          portalId: id,
          a: fc.nat(4),
          b: fc.nat(4),
          dir: fc.constantFrom('in', 'out', null),
          ts,
          cases: fc.array(fc.record({ epc: hex, offsetMs: fc.nat(12_000) }), { minLength: 1, maxLength: 6 }),
        }),
        { maxLength: 3 },
      ),
      // custody that began and ended together: a pallet's stay at one location
      stays: fc.array(
        fc.record({
          l: fc.nat(4),
          enteredAt: ts,
          len: fc.option(fc.integer({ min: 1, max: 1e7 })),
          cases: fc.array(
            fc.record({ epc: hex, inMs: fc.nat(12_000), outMs: fc.integer({ min: -12_000, max: 12_000 }) }),
            { minLength: 1, maxLength: 6 },
          ),
        }),
        { maxLength: 3 },
      ),
      windowMs: fc.option(fc.constantFrom(0, 1, 5_000, 10_000, 1e6), { nil: undefined }),
      custody: fc.array(
        fc.record({
          epc: hex,
          l: fc.nat(4),
          enteredAt: ts,
          len: fc.option(fc.integer({ min: 1, max: 1e7 })),
        }),
        { maxLength: 8 },
      ),
      readings: fc.array(
        fc.record({
          sensorId: id,
          l: fc.nat(4),
          ts,
          tempC: fc.option(fc.double({ min: -100, max: 200, noNaN: true })),
        }),
        { maxLength: 30 },
      ),
      locks: fc.array(
        fc.record({
          id,
          epcs: fc.array(hex, { maxLength: 4 }),
          lot: fc.option(fc.constantFrom('LOT-A', 'LOT-B')),
          excursion: fc.option(fc.constantFrom('x1', 'x2')),
          lockedAt: ts,
          l: fc.option(fc.nat(4)),
          end: fc.option(
            fc.record({ at: ts, outcome: fc.constantFrom('released', 'rejected', 'auto_released') }),
          ),
        }),
        { maxLength: 4 },
      ),
      // quantity holds of units without serial: LGTIN URN or Digital Link class, every end
      holds: fc.array(
        fc.record({
          lot: fc.stringMatching(/^[A-Za-z0-9!"%&'()*+,\-./:;<=>?_]{1,20}$/),
          prefix: fc.option(fc.integer({ min: 6, max: 12 }), { nil: null }),
          excursion: fc.constantFrom('x1', 'x2'),
          units: fc.integer({ min: 1, max: 500 }),
          heldAt: ts,
          l: fc.nat(4),
          end: fc.option(
            fc.record({
              at: ts,
              outcome: fc.constantFrom('released', 'rejected', 'auto_released'),
              units: fc.integer({ min: 0, max: 500 }),
            }),
          ),
        }),
        { maxLength: opts.holds ? 4 : 0 },
      ),
      tz: fc.constantFrom('+00:00', '+01:00', '-05:30', '+14:00'),
    })
    .map(
      ({
        locIds,
        kinds,
        glns,
        passes,
        pallets,
        stays,
        windowMs,
        custody,
        readings,
        locks,
        holds,
        tz,
      }): EpcisExportInput => {
        const loc = (i: number) => locIds[i % locIds.length]!;
        return {
          creationDate: T0,
          asOf: T0 + 2e9,
          baseUri: 'https://cloud.example.com/api/v1',
          timeZoneOffset: tz,
          ...(windowMs === undefined ? {} : { groupingWindowMs: windowMs }),
          locations: locIds.map((lid, i) => ({
            id: lid,
            kind: kinds[i]!,
            gln: glns[i] ? '0614141000012' : null,
          })),
          passes: passes
            .map((p) => ({
              epc: p.epc,
              portalId: p.portalId,
              from: loc(p.a),
              to: loc(p.b),
              direction: p.dir as 'in' | 'out' | null,
              ts: p.ts,
            }))
            .concat(
              pallets.flatMap((p) =>
                p.cases.map((c) => ({
                  epc: c.epc,
                  portalId: p.portalId,
                  from: loc(p.a),
                  to: loc(p.b),
                  direction: p.dir as 'in' | 'out' | null,
                  ts: p.ts + c.offsetMs,
                })),
              ),
            ),
          custody: custody
            .map((c) => ({
              epc: c.epc,
              locationId: loc(c.l),
              enteredAt: c.enteredAt,
              leftAt: c.len === null ? null : c.enteredAt + c.len,
            }))
            .concat(
              stays.flatMap((st) =>
                st.cases.map((c) => ({
                  epc: c.epc,
                  locationId: loc(st.l),
                  enteredAt: st.enteredAt + c.inMs,
                  leftAt: st.len === null ? null : st.enteredAt + st.len + c.outMs,
                })),
              ),
            ),
          readings: readings.map((r) => ({
            sensorId: r.sensorId,
            locationId: loc(r.l),
            ts: r.ts,
            tempC: r.tempC,
          })),
          locks: locks.map((k) => ({
            id: k.id,
            epcs: k.epcs,
            lotId: k.lot,
            excursionId: k.excursion,
            lockedAt: k.lockedAt,
            locationId: k.l === null ? null : loc(k.l),
            end: k.end
              ? { at: k.end.at, outcome: k.end.outcome as 'released' | 'rejected' | 'auto_released' }
              : null,
          })),
          holds: holds.map((h, i) => ({
            id: `${h.lot}|${loc(h.l)}|${h.excursion}|${i}`,
            epcClass: lgtinUri('80614141123458', h.lot, h.prefix),
            units: h.units,
            heldAt: h.heldAt,
            locationId: loc(h.l),
            excursionId: h.excursion,
            end: h.end
              ? {
                  at: Math.max(h.heldAt, h.end.at),
                  outcome: h.end.outcome as 'released' | 'rejected' | 'auto_released',
                  units: Math.min(h.units, h.end.units),
                }
              : null,
          })),
        };
      },
    );
}
