import { describe, expect, it } from 'vitest';
import { analyzeSeries, mergeExcursions, type Run } from '../../src/temperature/index.js';
import { COLD_ROOM, MIN, m, series } from './fixtures.js';

const run = (...points: Array<[number, number | null]>): Run => {
  const r = analyzeSeries(series(...points), { ...COLD_ROOM, alarmDelayMs: 0 }).runs;
  expect(r).toHaveLength(1);
  return r[0]!;
};
const boltz = (c: number) => Math.exp(-10000 / (c + 273.15));

describe('mergeExcursions', () => {
  it('merges overlapping runs of different sensors', () => {
    const a = run([0, 10], [30, 5]); // 10 °C 0→30, 2 °C over for 30 min = 60 degree-minutes
    const b = run([20, 12.5], [60, 5]); // 12.5 °C 20→60: critical, 4.5·40 = 180 degree-minutes
    const [x, ...rest] = mergeExcursions([
      { sensorId: 'probe-b', run: b },
      { sensorId: 'probe-a', run: a },
    ]);
    expect(rest).toEqual([]);
    expect(x).toMatchObject({
      startTs: m(0),
      endTs: m(60),
      lastTs: m(20),
      durationMs: 60 * MIN,
      minC: 10,
      maxC: 12.5,
      peakC: 12.5,
      critical: true,
      excursionAt: m(0),
      outOfRangeMs: 60 * MIN,
      sensorIds: ['probe-a', 'probe-b'],
    });
    expect(x!.degreeMinutes).toBeCloseTo(180, 9); // the max, not the sum
    // MKT over both sensors: 10 °C for 30 min and 12.5 °C for 40 min
    const expected = 10000 / -Math.log((30 * boltz(10) + 40 * boltz(12.5)) / 70) - 273.15;
    expect(x!.mktC).toBeCloseTo(expected, 9);
  });

  it('merges touching runs, keeps separate ones apart, and counts only the union as out of range', () => {
    const a = run([0, 9], [10, 5]);
    const b = run([10, 9], [20, 5]);
    const c = run([30, 9], [40, 5]);
    const merged = mergeExcursions([
      { sensorId: 'c', run: c },
      { sensorId: 'b', run: b },
      { sensorId: 'a', run: a },
    ]);
    expect(merged.map((e) => [e.startTs, e.endTs, e.outOfRangeMs, e.sensorIds])).toEqual([
      [m(0), m(20), 20 * MIN, ['a', 'b']],
      [m(30), m(40), 10 * MIN, ['c']],
    ]);
  });

  it('a nested run adds nothing to the union; an ongoing run makes the merge ongoing', () => {
    const outer = run([0, 9], [15, 9.5]); // ongoing: lastTs 15
    const inner = run([5, 9], [10, 5]);
    const [x] = mergeExcursions([
      { sensorId: 'outer', run: outer },
      { sensorId: 'inner', run: inner },
    ]);
    expect(x).toMatchObject({ startTs: m(0), endTs: null, lastTs: m(15), durationMs: 15 * MIN });
    expect(x!.outOfRangeMs).toBe(15 * MIN);
  });

  it('ignores runs that are not excursions and does not depend on input order', () => {
    const short = analyzeSeries(series([0, 9], [1, 5]), COLD_ROOM).runs[0]!;
    expect(short.isExcursion).toBe(false);
    expect(mergeExcursions([{ sensorId: 'a', run: short }])).toEqual([]);
    const items = [
      { sensorId: 'a', run: run([0, 9], [7, 11], [10, 5]) },
      { sensorId: 'b', run: run([3, 8.5], [12, 5]) },
      { sensorId: 'c', run: run([11, 1.5], [14, 3]) },
    ];
    expect(mergeExcursions([...items].reverse())).toEqual(mergeExcursions(items));
  });

  it('uses given MKT weights instead of the run terms', () => {
    const a = run([0, 9], [10, 5]);
    const weights = { weightMs: 1, weightedExp: boltz(25), count: 1, sumExp: boltz(25) };
    expect(mergeExcursions([{ sensorId: 'a', run: a, weights }])[0]!.mktC).toBeCloseTo(25, 9);
  });
});
