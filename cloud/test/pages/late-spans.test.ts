import { describe, expect, it } from 'vitest';

// The chart's own module (served as /static/chart.js), loaded as the browser loads it.
const moduleUrl = new URL('../../src/pages/static/chart.js', import.meta.url).href;
const { lateSpans } = (await import(moduleUrl)) as {
  lateSpans: (
    readings: Array<{ ts: number; receivedAt?: number }>,
    lateMs?: number,
  ) => Array<{ from: number; to: number }>;
};

const MIN = 60_000;
const on = (ts: number) => ({ ts, receivedAt: ts + 2_000 });
const late = (ts: number, by = 3 * 60 * MIN) => ({ ts, receivedAt: ts + by });

/** Where the excursion chart shades data that reached the cloud late (an uplink outage). */
describe('lateSpans', () => {
  it('joins consecutive late readings into spans, ended by one on time', () => {
    const readings = [on(0), late(1 * MIN), late(2 * MIN), on(3 * MIN), late(4 * MIN), on(5 * MIN)];
    expect(lateSpans(readings)).toEqual([
      { from: 1 * MIN, to: 2 * MIN },
      { from: 4 * MIN, to: 4 * MIN },
    ]);
  });

  it('reads in time order whatever the input order, across sensors', () => {
    expect(lateSpans([late(2 * MIN), on(0), late(1 * MIN)])).toEqual([{ from: 1 * MIN, to: 2 * MIN }]);
  });

  it('counts as late only beyond the threshold, and nothing without receipt times', () => {
    expect(lateSpans([late(0, 5 * MIN)])).toEqual([]);
    expect(lateSpans([late(0, 5 * MIN + 1)])).toEqual([{ from: 0, to: 0 }]);
    expect(lateSpans([late(0, 2 * MIN)], MIN)).toEqual([{ from: 0, to: 0 }]);
    expect(lateSpans([{ ts: 0 }, { ts: MIN }])).toEqual([]);
  });
});
