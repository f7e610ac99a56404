import type { Reading } from '@coldtrace/shared';
import fc from 'fast-check';
import { expect } from 'vitest';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import type { EpcisCustodyInterval, EpcisInexactSpan } from '../../src/epcis/epcis-input.js';
import {
  type EpcisRecords,
  type EpcisSource,
  exportEpcisDocument,
  StoreEpcisSource,
} from '../../src/epcis/epcis-source.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { readingsBatch, T0 } from '../helpers/records.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = T0 + 8 * HOUR;
const EPCS = ['E1', 'E2', 'E3'];

const reading = fc.record({
  sensor: fc.integer({ min: 0, max: 2 }),
  location: fc.integer({ min: 0, max: 1 }),
  // Whole minutes (some on the hour, some on a custody edge) and odd milliseconds, over eight hours.
  ts: fc.oneof(
    fc.integer({ min: -60, max: 480 }).map((m) => T0 + m * MIN),
    fc.integer({ min: -HOUR, max: 8 * HOUR }).map((ms) => T0 + ms),
  ),
  // Steps of 0.0005 °C, so means land on rounding boundaries; one in eight has no value.
  tempC: fc.option(
    fc.integer({ min: -4000, max: 30000 }).map((k) => k / 2000 + 0),
    { nil: null, freq: 7 },
  ),
});

const stay = fc.record({
  epc: fc.constantFrom(...EPCS),
  location: fc.integer({ min: 0, max: 1 }),
  enteredAt: fc.integer({ min: -30, max: 450 }).map((m) => T0 + m * MIN),
  minutes: fc.integer({ min: 1, max: 480 }),
  ongoing: fc.boolean(),
});

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

let runs = 0;

/**
 * A mean the rollup's sum (two batches) and the one-pass sum round to different 0.001 °C (3.976 against
 * 3.977, found by this property with the check off): kept as a first example.
 */
const BOUNDARY_EXAMPLE: [ValueOf<typeof reading>[], ValueOf<typeof stay>[], number | undefined] = [
  [
    { sensor: 0, location: 0, ts: T0 + 7 * HOUR, tempC: 5.7055 },
    { sensor: 0, location: 0, ts: T0, tempC: -1.996 },
    { sensor: 0, location: 0, ts: T0 + 7 * HOUR, tempC: 8.22 },
    { sensor: 0, location: 0, ts: T0, tempC: null },
  ],
  [{ epc: 'E1', location: 0, enteredAt: T0, minutes: 1, ongoing: true }],
  undefined,
];

/**
 * The property (docs/epcis.md "Sources"): for any readings (several sensors, gateways' batches, values on
 * rounding boundaries, readings without value) and any stays, the export built from the hourly rollups inside
 * the stays and the readings at their edges is byte for byte the export built from every reading. Also
 * counts how often buckets were used and how often a span fell back to its readings, so a run that never
 * exercised them fails.
 */
export async function checkRollupStatsProperty(store: CloudStore, numRuns: number): Promise<void> {
  let bucketed = 0;
  let fellBack = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(reading, { minLength: 1, maxLength: 300 }),
      fc.array(stay, { minLength: 1, maxLength: 6 }),
      fc.option(fc.integer({ min: 0, max: 7 * 60 }), { nil: undefined }),
      async (recs, stays, windowFrom) => {
        const run = ++runs;
        const gw = `gw-stats-${run}`;
        const loc = (i: number) => `room-${run}-${i}`;
        const records: Reading[] = recs.map((r, i) => ({
          seq: i + 1,
          sensorId: `s-${run}-${r.sensor}`,
          locationId: loc(r.location),
          ts: r.ts,
          tempC: r.tempC,
          quality: r.tempC === null ? 'timeout' : 'ok',
        }));
        // Several batches, so a bucket's sum is added batch by batch.
        for (let i = 0; i < records.length; i += 37)
          await store.ingestReadings(gw, readingsBatch(gw, records.slice(i, i + 37)), NOW);
        const custody: EpcisCustodyInterval[] = stays.map((s) => ({
          epc: s.epc,
          locationId: loc(s.location),
          enteredAt: s.enteredAt,
          leftAt: s.ongoing ? null : s.enteredAt + s.minutes * MIN,
        }));
        const domain = {
          lotEpcs: async () => EPCS,
          custody: async () => custody,
          locks: async () => [],
        };
        const q = { lot: 'LOT', ...(windowFrom !== undefined ? { fromTs: T0 + windowFrom * MIN } : {}) };
        const rest = { creationDate: NOW, asOf: NOW, baseUri: 'https://cloud.example.com/api/v1' };
        const reference = buildEpcisDocument({
          ...(await new StoreEpcisSource(store, domain, { rollups: false }).records(q, NOW)),
          ...rest,
        });
        const rollups = new StoreEpcisSource(store, domain);
        const counting: EpcisSource = {
          records: (qq, now) => rollups.records(qq, now),
          exact: async (r: EpcisRecords, spans: readonly EpcisInexactSpan[]) => {
            fellBack++;
            return rollups.exact(r, spans);
          },
        };
        const first = await counting.records(q, NOW);
        if ((first.readingBuckets?.length ?? 0) > 0) bucketed++;
        const doc = await exportEpcisDocument(counting, first, rest);
        expect(JSON.stringify(doc)).toBe(JSON.stringify(reference));
      },
    ),
    {
      numRuns,
      examples: [BOUNDARY_EXAMPLE],
    },
  );
  expect(bucketed).toBeGreaterThan(0);
  expect(fellBack).toBeGreaterThan(0);
}
