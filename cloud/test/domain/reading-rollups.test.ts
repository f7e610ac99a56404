import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  meanOf,
  mergeAggregates,
  type ReadingRollupRow,
  ROLLUP_RESOLUTIONS,
  rollupRows,
} from '../../src/domain/reading-rollups.js';

const reading = fc.record({
  sensorId: fc.constantFrom('s1', 's2'),
  locationId: fc.constantFrom('room-1', 'room-2'),
  ts: fc.integer({ min: -10 * 3_600_000, max: 10 * 3_600_000 }),
  tempC: fc.option(
    fc.integer({ min: -4000, max: 6000 }).map((c) => c / 100 + 0),
    { nil: null },
  ),
});

const keyOf = (r: ReadingRollupRow) => `${r.sensor_id}|${r.resolution}|${r.bucket_start}|${r.location_id}`;

describe('reading rollups (domain)', () => {
  it('floors a time to its bucket, also before 1970', () => {
    const w = ROLLUP_RESOLUTIONS['5m'];
    expect([0, w - 1, w, -1, -w, -w - 1].map((t) => bucketStart(t, w))).toEqual([0, 0, w, -w, -w, -2 * w]);
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        fc.constantFrom(...Object.values(ROLLUP_RESOLUTIONS)),
        (t, width) => {
          const s = bucketStart(t, width);
          expect(s <= t && t < s + width && Math.abs(s % width) === 0).toBe(true);
        },
      ),
    );
  });

  it('rolls up readings with a value, once per resolution, keys in order', () => {
    const rows = rollupRows('gw', [
      { sensorId: 's1', locationId: 'room-1', ts: 60_000, tempC: 4 },
      { sensorId: 's1', locationId: 'room-1', ts: 120_000, tempC: 6 },
      { sensorId: 's1', locationId: 'room-1', ts: 180_000, tempC: null },
      { sensorId: 's1', locationId: 'room-1', ts: 300_000, tempC: 9 },
    ]);
    expect(rows.map((r) => [r.resolution, r.bucket_start, r.min_c, r.max_c, r.sum_c, r.count])).toEqual([
      ['1h', 0, 4, 9, 19, 3],
      ['5m', 0, 4, 6, 10, 2],
      ['5m', 300_000, 9, 9, 9, 1],
    ]);
    expect(meanOf({ sum: rows[1]!.sum_c, count: rows[1]!.count })).toBe(5);
    expect(rollupRows('gw', [{ sensorId: 's1', locationId: 'room-1', ts: 0, tempC: null }])).toEqual([]);
  });

  it('rolls up a set of readings as the merge of the rollups of any split of it', () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 40 }), fc.nat(40), (readings, cut) => {
        const whole = rollupRows('gw', readings);
        const merged = new Map<string, ReadingRollupRow>();
        for (const part of [readings.slice(0, cut), readings.slice(cut)]) {
          for (const r of rollupRows('gw', part)) {
            const had = merged.get(keyOf(r));
            if (!had) merged.set(keyOf(r), { ...r });
            else {
              const m = mergeAggregates(
                { min: had.min_c, max: had.max_c, sum: had.sum_c, count: had.count },
                { min: r.min_c, max: r.max_c, sum: r.sum_c, count: r.count },
              );
              Object.assign(had, { min_c: m.min, max_c: m.max, sum_c: m.sum, count: m.count });
            }
          }
        }
        expect(new Set(whole.map(keyOf))).toEqual(new Set(merged.keys()));
        for (const w of whole) {
          const m = merged.get(keyOf(w))!;
          expect([m.min_c, m.max_c, m.count]).toEqual([w.min_c, w.max_c, w.count]);
          expect(m.sum_c).toBeCloseTo(w.sum_c, 6);
        }
      }),
    );
  });
});
