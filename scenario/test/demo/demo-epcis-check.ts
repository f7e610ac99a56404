import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, epcisErrors } from '@coldtrace/cloud/testing';
import { expect } from 'vitest';
import {
  type EpcisDoc,
  expectedPasses,
  lockEvents,
  lotUnits,
  passEvents,
  sensorEvents,
  union,
} from './demo-epcis-helpers.js';
import type { DemoRun } from './demo-run.js';

const MIN = 60_000;

/**
 * The EPCIS export of the demo journey (GS1 EPCIS 2.0, validated with ajv and ajv-formats against the
 * official `EPCIS-JSON-Schema.json`): `GET /api/v1/epcis/events?lot=<id>` for every lot of the scenario
 * (LOT-A and LOT-B, of two products, travelling together) over real HTTP with a bearer token. Each
 * document is checked against the schema and against the journey: passes with their CBV bizSteps, the
 * truck custody interval's sensor data (max = the cloud's excursion peak), and the locks as
 * `persistentDisposition.set` (EPCIS 2.0 §7.4.2). Needs the locks as the run left them (no QA decision).
 */
export async function checkEpcisExport(d: DemoRun): Promise<void> {
  const { cloud, dataDir, startMs, run } = d;
  const s = d.loaded.scenario;
  const truck = run.observed.excursions.filter((e) => e.locationId === 'truck-7');
  expect(truck, 'the reefer failure gave one excursion at truck-7').toHaveLength(1);
  const excursion = truck[0]!;
  expect(run.observed.locks, 'the cloud has a lock table').not.toBeNull();
  const headers = { ...(await bearer(cloud, ['viewer'])), accept: 'application/ld+json' };

  // The demo's mixed pallet: two lots of two products, in the truck together; each lot's document
  // tells the same journey with its own units only.
  expect(s.lots.map((l) => l.id)).toEqual(['LOT-A', 'LOT-B']);
  expect(new Set(s.lots.map((l) => l.gtin)).size, 'two products').toBe(2);
  for (const lot of s.lots) {
    const res = await fetch(`${cloud.httpUrl}/api/v1/epcis/events?lot=${encodeURIComponent(lot.id)}`, {
      headers,
    });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const doc = JSON.parse(body) as EpcisDoc;

    // The acceptance: valid against the official GS1 EPCIS 2.0 JSON schema (ajv 8 + ajv-formats).
    // Saved beside the run data (kept if anything below fails).
    const file = join(dataDir, `epcis-${lot.id}.jsonld`);
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const errors = epcisErrors(doc);
    expect(
      errors,
      `EPCIS document of ${lot.id} (${file}) is not valid against EPCIS-JSON-Schema.json:\n  ${errors.join('\n  ')}`,
    ).toEqual([]);

    const unitUri = lotUnits(lot);
    const units = union([[...unitUri.values()]]);
    const events = doc.epcisBody.eventList;
    expect(
      union(events.map((e) => e.epcList ?? [])),
      `${lot.id}: the export names only this lot's units`,
    ).toEqual(units);

    // Every pass of the timeline, each case through the right portal with the CBV bizStep of its
    // location kinds (CBV 2.0 §7.1): cold room → truck = shipping (in_transit), back = receiving.
    for (const want of expectedPasses(s, lot.id)) {
      const got = passEvents(events, want);
      const label = `${lot.id}: ${want.portal} ${want.from} → ${want.to} at +${want.atMs / MIN} min`;
      expect(got.length, `${label}: pass event(s)`).toBeGreaterThan(0);
      expect(union(got.map((e) => e.epcList ?? [])), `${label}: every case passed`).toEqual(units);
      for (const e of got) {
        expect(e.bizStep, label).toBe(want.bizStep);
        expect(e.disposition, label).toBe(want.disposition);
        expect(e.action, label).toBe('OBSERVE');
        const t = Date.parse(e.eventTime);
        expect(t, `${label}: eventTime ${e.eventTime}`).toBeGreaterThanOrEqual(startMs + want.atMs - 2 * MIN);
        expect(t, `${label}: eventTime ${e.eventTime}`).toBeLessThanOrEqual(startMs + want.atMs + 2 * MIN);
      }
    }
    // Only the timeline's passes, nothing else at the doors.
    const passCount = events.filter((e) => e.readPoint?.id.includes('/portals/')).length;
    expect(passCount, `${lot.id}: pass events`).toBe(
      expectedPasses(s, lot.id).reduce((n, want) => n + passEvents(events, want).length, 0),
    );

    // The truck custody interval (loaded at 2 h, unloaded at 8 h): reefer-7's sensor report, whose
    // max is the excursion's peak (the whole excursion lies inside the interval).
    const onTruck = sensorEvents(events, 'truck-7');
    expect(onTruck.length, `${lot.id}: sensor event(s) of the truck custody`).toBeGreaterThan(0);
    expect(union(onTruck.map((e) => e.epcList ?? [])), `${lot.id}: every case on the truck`).toEqual(units);
    for (const e of onTruck) {
      const reefer = (e.sensorElementList ?? []).find((el) =>
        el.sensorMetadata.deviceID.endsWith('/sensors/reefer-7'),
      );
      expect(reefer, `${lot.id}: reefer-7 in ${JSON.stringify(e.sensorElementList)}`).toBeDefined();
      const from = Date.parse(reefer!.sensorMetadata.startTime);
      const to = Date.parse(reefer!.sensorMetadata.endTime);
      expect(Math.abs(from - (startMs + 2 * 60 * MIN)), 'truck custody starts at 2 h').toBeLessThanOrEqual(
        2 * MIN,
      );
      expect(Math.abs(to - (startMs + 8 * 60 * MIN)), 'truck custody ends at 8 h').toBeLessThanOrEqual(
        2 * MIN,
      );
      const report = reefer!.sensorReport.find((r) => r.type === 'Temperature');
      expect(report?.uom).toBe('CEL');
      expect(
        report!.maxValue,
        `max of the truck interval vs excursion peak ${excursion.peakC} °C`,
      ).toBeCloseTo(excursion.peakC, 6);
      // 8 °C + 5 °C critical margin: the reefer reached well past it.
      expect(report!.maxValue).toBeGreaterThan(13);
      expect(report!.minValue).toBeLessThan(8);
    }
    // The cold room and the store stayed inside 2–8 °C while the cases were there.
    for (const where of ['coldroom-1', 'store-1']) {
      const evs = sensorEvents(events, where);
      expect(evs.length, `${lot.id}: sensor event(s) at ${where}`).toBeGreaterThan(0);
      for (const e of evs)
        for (const el of e.sensorElementList ?? [])
          for (const r of el.sensorReport) {
            expect(r.minValue, `${where} ${el.sensorMetadata.deviceID}`).toBeGreaterThanOrEqual(2);
            expect(r.maxValue, `${where} ${el.sensorMetadata.deviceID}`).toBeLessThanOrEqual(8);
          }
    }

    // Locks: one persistentDisposition.set per lock (EPCIS 2.0 §7.4.2) covering the locked units,
    // at the excursion's location, naming the excursion; no QA decision, so nothing unset.
    const lockedUnits = union([
      (run.observed.locks ?? []).flatMap((l) => {
        const uri = unitUri.get(l.epc.toUpperCase());
        return l.state === 'active' && uri ? [uri] : [];
      }),
    ]);
    expect(lockedUnits, `${lot.id}: the cloud locked every case`).toEqual(units);
    const locks = lockEvents(events);
    expect(locks.set.length, `${lot.id}: persistentDisposition.set event(s)`).toBeGreaterThan(0);
    expect(union(locks.set.map((e) => e.epcList ?? [])), `${lot.id}: locked units`).toEqual(lockedUnits);
    for (const e of locks.set) {
      expect(e.bizStep).toBe('holding');
      expect(e.disposition).toBe('non_sellable_other');
      expect(e.bizLocation?.id).toMatch(/\/locations\/truck-7$/);
      expect(e['ct:excursionId']).toBe(excursion.id);
    }
    expect(locks.unset, `${lot.id}: no lock was ended`).toEqual([]);
  }
}
