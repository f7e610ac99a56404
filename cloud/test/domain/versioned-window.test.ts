import type { LocationExcursion, TempLimits } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateLocation } from '../../src/domain/evaluate-location.js';
import {
  evaluateWindow,
  type StoredExcursion,
  type WindowReads,
} from '../../src/domain/location-evaluation.js';
import type { LocationsTable } from '../../src/domain/rows.js';
import type { SpecVersion } from '../../src/domain/spec-versions.js';

const MIN = 60_000;
type Row = { sensor_id: string; ts: number; temp_c: number | null };

/** `WindowReads` over an array of one location's readings (what the store answers from its tables). */
function memoryReads(rows: readonly Row[], stored: readonly StoredExcursion[]): WindowReads {
  const within = (ts: number, lo: number, hi: number) => ts >= lo && ts <= hi;
  return {
    excursionsNear: async (_l, lo, hi) =>
      stored.filter((e) => e.start_ts <= hi && (e.end_ts ?? e.last_ts) >= lo),
    sensorsIn: async (_l, lo, hi) => [
      ...new Set(rows.filter((r) => within(r.ts, lo, hi)).map((r) => r.sensor_id)),
    ],
    samples: async (_l, ranges) =>
      ranges.map(({ sensorId, lo, hi }) =>
        rows
          .filter((r) => r.sensor_id === sensorId && within(r.ts, lo, hi))
          .map((r) => ({ ts: r.ts, tempC: r.temp_c }))
          .sort((a, b) => a.ts - b.ts),
      ),
    nearestInRange: async (_l, asks, side) =>
      asks.map(({ sensorId, ts, minC, maxC }) => {
        const hits = rows
          .filter(
            (r) => r.sensor_id === sensorId && r.temp_c !== null && r.temp_c >= minC && r.temp_c <= maxC,
          )
          .map((r) => r.ts)
          .filter((t) => (side === 'before' ? t < ts : t > ts));
        if (hits.length === 0) return undefined;
        return side === 'before' ? Math.max(...hits) : Math.min(...hits);
      }),
    valuesAt: async (_l, at) =>
      at.map(({ sensorId, ts }) =>
        rows.filter((r) => r.sensor_id === sensorId && r.ts === ts).map((r) => r.temp_c),
      ),
  };
}

const LOCATION: LocationsTable = {
  id: 'room-a',
  name: 'Room A',
  kind: 'room',
  min_c: 2,
  max_c: 8,
  alarm_delay_ms: 10 * MIN,
  critical_margin_c: 5,
  max_gap_ms: 30 * MIN,
  created_at: 0,
  updated_at: 0,
};

const limits = fc.record({
  minC: fc.integer({ min: 0, max: 4 }),
  maxC: fc.integer({ min: 6, max: 12 }),
  alarmDelayMs: fc.integer({ min: 0, max: 20 }).map((n) => n * MIN),
  criticalMarginC: fc.integer({ min: 1, max: 6 }),
  maxGapMs: fc.integer({ min: 5, max: 40 }).map((n) => n * MIN),
});
const row = fc.record({
  sensor_id: fc.constantFrom('s-1', 's-2'),
  ts: fc.integer({ min: 0, max: 200 }).map((n) => n * MIN),
  temp_c: fc.oneof(
    fc.integer({ min: -20, max: 160 }).map((t) => t / 10),
    fc.constant(null),
  ),
});

const storedOf = (excursions: readonly LocationExcursion[]) =>
  excursions.map(
    (e, i) =>
      ({
        id: `x${i}`,
        start_ts: e.startTs,
        end_ts: e.endTs,
        last_ts: e.lastTs,
        sensor_ids: e.sensorIds.join(','),
      }) as unknown as StoredExcursion,
  );
const touching = (e: LocationExcursion, w: { fromTs: number; toTs: number }) =>
  e.startTs <= w.toTs && w.fromTs <= (e.endTs ?? e.lastTs);

describe('windowed evaluation under effective-dated limits', () => {
  it('equals the full evaluation on the final window: stored state of the earlier readings, new readings in a window, any versions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 60 }),
        fc.array(row, { minLength: 1, maxLength: 20 }),
        limits,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), limits), { maxLength: 3 }),
        async (old, added, first, later) => {
          const versions: SpecVersion<TempLimits>[] = [
            { version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: first },
            ...later.map(([m, spec], i) => ({ version: i + 2, effectiveFrom: m * MIN, spec })),
          ];
          // What the engine stored for the earlier readings: their full evaluation under the same versions.
          const stored = storedOf(evaluateLocation(LOCATION, old, versions).excursions);
          const all = [...old, ...added];
          const ts = added.map((r) => r.ts);
          const ev = await evaluateWindow(
            memoryReads(all, stored),
            LOCATION,
            { fromTs: Math.min(...ts), toTs: Math.max(...ts) },
            versions,
          );
          const full = evaluateLocation(LOCATION, all, versions).excursions.filter((e) =>
            touching(e, ev.window),
          );
          expect(ev.computed).toEqual(full);
        },
      ),
      {
        numRuns: 1000,
        // Found by this property when the neighbour search used one version's range for all readings.
        examples: [
          [
            [
              { sensor_id: 's-1', ts: 0, temp_c: 0 },
              { sensor_id: 's-1', ts: MIN, temp_c: 0 },
            ],
            [{ sensor_id: 's-1', ts: 18 * MIN, temp_c: 0 }],
            { minC: 0, maxC: 6, alarmDelayMs: 0, criticalMarginC: 1, maxGapMs: 5 * MIN },
            [[0, { minC: 1, maxC: 6, alarmDelayMs: 18 * MIN, criticalMarginC: 1, maxGapMs: 5 * MIN }]],
          ],
        ],
      },
    );
  });

  it('after new versions from an instant, re-evaluating from that instant on gives the full evaluation under the new versions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 80 }),
        limits,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), limits), { maxLength: 2 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), limits), { minLength: 1, maxLength: 2 }),
        async (rows, first, earlier, from, replacing) => {
          const f = from * MIN;
          const before: SpecVersion<TempLimits>[] = [
            { version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: first },
            ...earlier.map(([m, spec], i) => ({ version: i + 2, effectiveFrom: m * MIN, spec })),
          ];
          // The versions from f on are replaced (a correction from f, or a change taking effect at f).
          const after: SpecVersion<TempLimits>[] = [
            ...before.filter((v) => v.effectiveFrom < f),
            ...replacing.map(([m, spec], i) => ({
              version: 10 + i,
              effectiveFrom: Math.max(f, m * MIN),
              spec,
            })),
          ];
          const stored = evaluateLocation(LOCATION, rows, before).excursions;
          const ev = await evaluateWindow(
            memoryReads(rows, storedOf(stored)),
            LOCATION,
            { fromTs: f, toTs: Number.POSITIVE_INFINITY },
            after,
          );
          const full = evaluateLocation(LOCATION, rows, after).excursions;
          expect(ev.computed).toEqual(full.filter((e) => touching(e, ev.window)));
          // What the window leaves alone was right already: before f the versions are the same.
          expect(stored.filter((e) => !touching(e, ev.window))).toEqual(
            full.filter((e) => !touching(e, ev.window)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
