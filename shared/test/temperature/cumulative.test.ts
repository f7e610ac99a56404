import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clipIntervals,
  cumulativeExposure,
  type ExposureCondition,
  exposureIntervals,
  totalLength,
  unionIntervals,
} from '../../src/temperature/index.js';
import { MIN, m, series } from './fixtures.js';

const ABOVE_8: ExposureCondition = { kind: 'above', thresholdC: 8 };
const iv = (from: number, to: number) => ({ from: m(from), to: m(to) });

describe('exposureIntervals (the excursion rule applied to a threshold)', () => {
  it('each known reading holds until the next one; the last one holds no time', () => {
    // 9 °C from 10 to 25 (15 min); 9 °C from 30 until 5 °C at 50 (20 min, through the unknown at 40);
    // 9 °C at 60 is the last reading: nothing after it is known yet. 8 °C is not above 8 °C.
    const s = series([0, 5], [10, 9], [25, 8], [30, 9], [40, null], [50, 5], [60, 9]);
    expect(exposureIntervals(s, ABOVE_8)).toEqual([iv(10, 25), iv(30, 50)]);
    expect(totalLength(exposureIntervals(s, ABOVE_8))).toBe(35 * MIN);
  });

  it('a silence or unknown readings inside an exposure count as exposed; while not exposed they count nothing', () => {
    // Above at 0, then nothing for 3 h (longer than any max data gap), then 5 °C: 180 min exposed.
    expect(exposureIntervals(series([0, 9], [180, 5]), ABOVE_8)).toEqual([iv(0, 180)]);
    // In range at 0, silent for 3 h, then 9 °C at 180 and 5 °C at 190: only 10 min.
    expect(exposureIntervals(series([0, 5], [180, 9], [190, 5]), ABOVE_8)).toEqual([iv(180, 190)]);
    // Unknown readings while in range do not start an exposure.
    expect(exposureIntervals(series([0, 5], [10, null], [20, null], [30, 5]), ABOVE_8)).toEqual([]);
    // An exposure still open at the end ends at the last sample, known or not.
    expect(exposureIntervals(series([0, 9], [10, 9], [20, null]), ABOVE_8)).toEqual([iv(0, 20)]);
  });

  it('below and outside conditions', () => {
    const s = series([0, 1], [5, -0.5], [15, 0], [20, 3], [30, 9]);
    expect(exposureIntervals(s, { kind: 'below', thresholdC: 0 })).toEqual([iv(5, 15)]);
    expect(exposureIntervals(s, { kind: 'outside', minC: 2, maxC: 8 })).toEqual([iv(0, 20)]);
  });

  it('does not depend on input order; a duplicate instant keeps the value that meets the condition', () => {
    const s = series([0, 5], [10, 7], [10, 9], [20, 5]);
    expect(exposureIntervals(s, ABOVE_8)).toEqual([iv(10, 20)]);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ts: fc.integer({ min: 0, max: 120 }).map((n) => m(n)),
            tempC: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 12 })),
          }),
          { maxLength: 30 },
        ),
        fc.integer(),
        (samples, seed) => {
          const shuffled = [...samples].sort((a, b) => ((a.ts * 31 + seed) % 7) - ((b.ts * 31 + seed) % 7));
          expect(exposureIntervals(shuffled, ABOVE_8)).toEqual(exposureIntervals(samples, ABOVE_8));
        },
      ),
    );
  });
});

describe('unionIntervals, clipIntervals', () => {
  it('a location is exposed while any of its sensors is', () => {
    // Sensor A exposed 10–25, sensor B 20–40 and 40–45 (touching): union 10–45 = 35 min.
    const u = unionIntervals([[iv(10, 25)], [iv(20, 40), iv(40, 45)], [iv(50, 50)]]);
    expect(u).toEqual([iv(10, 45)]);
    expect(totalLength(u)).toBe(35 * MIN);
  });

  it('clips to a custody interval, open-ended when still there', () => {
    const u = [iv(10, 25), iv(30, 50)];
    expect(clipIntervals(u, m(15), m(35))).toEqual([iv(15, 25), iv(30, 35)]);
    expect(clipIntervals(u, m(40), null)).toEqual([iv(40, 50)]);
    expect(clipIntervals(u, m(25), m(30))).toEqual([]);
  });
});

describe('cumulativeExposure (per unit, across custody)', () => {
  // Room R exposed 0–60 and 120–180; truck T exposed 200–260 (all minutes).
  const R = [iv(0, 60), iv(120, 180)];
  const T = [iv(200, 260)];

  it('sums the time each location was exposed while the unit was there, from the moment it entered', () => {
    // Enters R at 30 (the reading holding then is exposed: counts from 30), leaves for T at 190,
    // still on T. Exposure: R 30–60 (30) + 120–180 (60) + T 200–260 (60) = 150 min.
    const stays = [
      { locationId: 'T', from: m(190), to: null, exposure: T },
      { locationId: 'R', from: m(30), to: m(190), exposure: R },
    ];
    const r = cumulativeExposure(stays, 100 * MIN);
    expect(r.exposedMs).toBe(150 * MIN);
    expect(r.firstExposedAt).toBe(m(30));
    // The limit is reached after 30 + 60 = 90 min at R, then 10 more min on T: at 210.
    expect(r).toMatchObject({ exceeded: true, reachedAt: m(210), reachedLocationId: 'T' });
  });

  it('reaching the limit exactly exceeds it (≥); a unit never exposed is not', () => {
    const stays = [{ locationId: 'R', from: m(0), to: m(60), exposure: R }];
    expect(cumulativeExposure(stays, 60 * MIN)).toMatchObject({ exceeded: true, reachedAt: m(60) });
    expect(cumulativeExposure(stays, 61 * MIN)).toMatchObject({ exceeded: false, reachedAt: null });
    expect(cumulativeExposure([{ locationId: 'R', from: m(60), to: m(120), exposure: R }], 1)).toEqual({
      exposedMs: 0,
      exceeded: false,
      reachedAt: null,
      reachedLocationId: null,
      firstExposedAt: null,
    });
  });

  it('refuses a limit that is not a positive number of ms', () => {
    expect(() => cumulativeExposure([], 0)).toThrow(/positive/);
  });
});
