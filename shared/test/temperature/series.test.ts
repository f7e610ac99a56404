import { describe, expect, it } from 'vitest';
import { ColdtraceError } from '../../src/errors.js';
import { analyzeSeries, type Run, type Sample, type TempLimits } from '../../src/temperature/index.js';
import { COLD_ROOM, MIN, m, series } from './fixtures.js';

type Expect = Partial<Omit<Run, 'mktTerms'>>;
interface Case {
  name: string;
  samples: Sample[];
  limits?: TempLimits;
  runs: Expect[];
  gaps?: Array<[number, number]>; // [fromMinute, toMinute]
}

// COLD_ROOM: 2..8 °C, alarm delay 30 min, critical margin 2 °C (critical beyond 10 / below 0), max gap 15 min.
const cases: Case[] = [
  {
    name: 'delay: just under the alarm delay is a run but no excursion',
    samples: [...series([0, 9], [10, 9], [20, 9]), { ts: m(30) - 1, tempC: 5 }],
    runs: [
      { startTs: m(0), endTs: m(30) - 1, durationMs: 30 * MIN - 1, isExcursion: false, excursionAt: null },
    ],
  },
  {
    name: 'delay: exactly the alarm delay is an excursion, at startTs + delay',
    samples: series([0, 9], [10, 9], [20, 9], [30, 5]),
    runs: [{ startTs: m(0), endTs: m(30), durationMs: 30 * MIN, isExcursion: true, excursionAt: m(30) }],
  },
  {
    name: 'delay: over the alarm delay',
    samples: series([0, 9], [10, 9], [20, 9], [30, 9], [40, 5]),
    runs: [{ endTs: m(40), durationMs: 40 * MIN, isExcursion: true, excursionAt: m(30), samples: 4 }],
  },
  {
    name: 'critical: exactly at the margin is not critical',
    samples: series([0, 10], [1, 5]),
    runs: [{ critical: false, isExcursion: false, excursionAt: null, peakC: 10, durationMs: MIN }],
  },
  {
    name: 'critical: beyond the margin is an excursion at once, excursionAt = that reading',
    samples: series([0, 9], [1, 9.5], [2, 10.1], [3, 9], [4, 5]),
    runs: [{ critical: true, isExcursion: true, excursionAt: m(2), peakC: 10.1, minC: 9, maxC: 10.1 }],
  },
  {
    name: 'critical: low side beyond the margin',
    samples: series([0, -0.5], [1, 3]),
    runs: [{ critical: true, isExcursion: true, excursionAt: m(0), peakC: -0.5 }],
  },
  {
    name: 'critical after the delay: excursionAt is the earlier of the two',
    samples: series([0, 9], [40, 12], [50, 5]),
    runs: [{ critical: true, excursionAt: m(30) }],
  },
  {
    name: 'gap inside a run keeps it open (unknown counts as out)',
    samples: series([0, 5], [10, 9], [130, 5]),
    runs: [{ startTs: m(10), endTs: m(130), durationMs: 120 * MIN, isExcursion: true, excursionAt: m(40) }],
    gaps: [],
  },
  {
    name: 'gap while in range is a monitoring gap, not an excursion',
    samples: series([0, 5], [60, 5], [70, 6]),
    runs: [],
    gaps: [[0, 60]],
  },
  {
    name: 'a gap of exactly maxGapMs is not a monitoring gap',
    samples: series([0, 5], [15, 5], [31, 5]),
    runs: [],
    gaps: [[15, 31]],
  },
  {
    name: 'unknown samples while in range: a monitoring gap from the last known in-range sample, no run',
    samples: series([0, 5], [5, null], [6, null], [10, 5]),
    runs: [],
    gaps: [[0, 10]],
  },
  {
    name: 'unknown samples at the start and end of a series',
    samples: series([0, null], [5, 5], [10, 5], [12, null]),
    runs: [],
    gaps: [
      [0, 5],
      [10, 12],
    ],
  },
  {
    name: 'unknown samples inside a run keep it open and add no degree-minutes',
    samples: series([0, 9], [10, null], [20, null], [40, 5]),
    runs: [{ startTs: m(0), endTs: m(40), lastTs: m(20), samples: 3, isExcursion: true, degreeMinutes: 10 }],
  },
  {
    name: 'ongoing run: endTs null, duration up to the last sample',
    samples: series([0, 5], [10, 9], [25, 9.5], [45, null]),
    runs: [
      {
        startTs: m(10),
        endTs: null,
        lastTs: m(45),
        durationMs: 35 * MIN,
        isExcursion: true,
        excursionAt: m(40),
      },
    ],
  },
  {
    name: 'ongoing run shorter than the delay is not (yet) an excursion',
    samples: series([0, 5], [10, 9]),
    runs: [{ endTs: null, durationMs: 0, isExcursion: false, mktC: 9 }],
  },
  {
    name: 'low-side excursion',
    samples: series([0, 4], [5, 1], [20, 1.5], [50, 3]),
    // degree-minutes: (2 − 1)·15 + (2 − 1.5)·30 = 15 + 15 = 30
    runs: [
      { startTs: m(5), endTs: m(50), peakC: 1, minC: 1, maxC: 1.5, isExcursion: true, degreeMinutes: 30 },
    ],
  },
  {
    name: 'two runs, readings on the limits are in range',
    samples: series([0, 8], [1, 8.5], [2, 8], [3, 2], [4, 1.9], [5, 2]),
    runs: [
      { startTs: m(1), endTs: m(2), peakC: 8.5 },
      { startTs: m(4), endTs: m(5), peakC: 1.9 },
    ],
  },
  {
    name: 'alarm delay 0: every run is an excursion at its start',
    limits: { ...COLD_ROOM, alarmDelayMs: 0 },
    samples: series([0, 8.1]),
    runs: [{ isExcursion: true, excursionAt: m(0), endTs: null }],
  },
];

describe('analyzeSeries', () => {
  it.each(cases)('$name', ({ samples, limits, runs, gaps }) => {
    const r = analyzeSeries(samples, limits ?? COLD_ROOM);
    expect(r.runs).toHaveLength(runs.length);
    runs.forEach((want, i) => {
      const got = r.runs[i]!;
      for (const [k, v] of Object.entries(want)) {
        if (k === 'degreeMinutes' || k === 'mktC') expect(got[k], k).toBeCloseTo(v as number, 9);
        else expect(got[k as keyof Run], k).toEqual(v);
      }
      expect(got.durationMs).toBe((got.endTs ?? got.lastTs) - got.startTs);
    });
    expect(r.excursions).toEqual(r.runs.filter((x) => x.isExcursion));
    if (gaps) {
      expect(r.gaps).toEqual(gaps.map(([a, b]) => ({ fromTs: m(a), toTs: m(b), durationMs: m(b) - m(a) })));
    }
  });

  it('works out degree-minutes and MKT of a run by hand', () => {
    // Limits 2..8 °C, margin 5 (so 11 °C is not critical), delay 30 min.
    const limits = { ...COLD_ROOM, criticalMarginC: 5 };
    const r = analyzeSeries(series([0, 9], [10, 11], [25, 8.5], [30, 7]), limits);
    const run = r.runs[0]!;
    // Each known sample holds until the next: 9 °C 10 min, 11 °C 15 min, 8.5 °C 5 min (run ends at 30).
    // excess·minutes: 1·10 + 3·15 + 0.5·5 = 10 + 45 + 2.5 = 57.5 degree-minutes
    expect(run.degreeMinutes).toBeCloseTo(57.5, 10);
    expect(run).toMatchObject({
      durationMs: 30 * MIN,
      isExcursion: true,
      excursionAt: m(30),
      critical: false,
    });
    expect(run).toMatchObject({ minC: 8.5, maxC: 11, peakC: 11, peakExcessC: 3, samples: 3 });
    // MKT with weights 10, 15, 5 min, computed independently from USP <1079>:
    const e = (c: number) => Math.exp(-10000 / (c + 273.15));
    const expected = 10000 / -Math.log((10 * e(9) + 15 * e(11) + 5 * e(8.5)) / 30) - 273.15;
    expect(run.mktC).toBeCloseTo(expected, 9);
    expect(run.mktC).toBeCloseTo(9.987, 3); // same formula evaluated once by hand/calculator
  });

  it('sorts unsorted input and keeps, for duplicate ts, the value furthest outside the range', () => {
    const a = analyzeSeries(
      [
        { ts: m(40), tempC: 5 },
        { ts: m(0), tempC: 5 },
        { ts: m(10), tempC: 7 },
        { ts: m(10), tempC: 12 }, // hides behind an in-range duplicate in arrival order; must win
        { ts: m(10), tempC: null },
        { ts: m(20), tempC: 9 },
      ],
      COLD_ROOM,
    );
    expect(a.runs).toHaveLength(1);
    expect(a.runs[0]).toMatchObject({ startTs: m(10), endTs: m(40), critical: true, peakC: 12, samples: 2 });
  });

  it('for duplicate ts prefers unknown over a known in-range value (keeps the run open)', () => {
    const a = analyzeSeries(series([0, 9], [10, 5], [10, null], [20, 5]), COLD_ROOM);
    expect(a.runs[0]).toMatchObject({ startTs: m(0), endTs: m(20), samples: 2 });
  });

  it('returns nothing for an empty series', () => {
    expect(analyzeSeries([], COLD_ROOM)).toEqual({ runs: [], excursions: [], gaps: [] });
  });

  it.each([
    [{ ts: Number.NaN, tempC: 5 }],
    [{ ts: m(0), tempC: Number.POSITIVE_INFINITY }],
    [{ ts: m(0), tempC: Number.NaN }],
  ])('rejects a non-finite sample %o with a coded error', (bad) => {
    expect(() => analyzeSeries([bad], COLD_ROOM)).toThrowError(ColdtraceError);
    try {
      analyzeSeries([bad], COLD_ROOM);
    } catch (err) {
      expect((err as ColdtraceError).code).toBe('invalid_sample');
    }
  });
});
