import { analyzeSeries, ColdtraceError, type Sample, type TempLimits } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEffect,
  inForceAt,
  planVersion,
  type SpecVersion,
  specAt,
  timeline,
} from '../../src/domain/spec-versions.js';

const MIN = 60_000;
const V1: TempLimits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
const V2: TempLimits = { ...V1, maxC: 12, alarmDelayMs: 30 * MIN };
const NEG = Number.NEGATIVE_INFINITY;
const v = (version: number, effectiveFrom: number, spec: TempLimits): SpecVersion<TempLimits> => ({
  version,
  effectiveFrom,
  spec,
});
const series = (...points: Array<[number, number | null]>): Sample[] =>
  points.map(([m, tempC]) => ({ ts: m * MIN, tempC }));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ColdtraceError ? err.code : String(err);
  }
  return 'no error';
};

describe('the version in force at a time', () => {
  const line = timeline([v(2, 100 * MIN, V2), v(1, NEG, V1)]);

  it('is the last version taking effect at or before it; the first one before any', () => {
    expect(line.map((x) => x.version)).toEqual([1, 2]);
    expect(inForceAt(line, -1e15)).toBe(V1);
    expect(inForceAt(line, 100 * MIN - 1)).toBe(V1);
    expect(inForceAt(line, 100 * MIN)).toBe(V2);
    expect(inForceAt(line, 1e15)).toBe(V2);
    expect(inForceAt([v(1, 50, V2)], 0)).toBe(V2);
  });

  it('takes the newer of two versions taking effect at the same instant; a single version is constant', () => {
    const same = timeline([v(1, NEG, V1), v(2, 10, V2), v(3, 10, V1)]);
    expect(same.map((x) => x.version)).toEqual([1, 3]);
    const at = specAt([v(1, NEG, V1)]);
    expect([at(-1e15), at(0), at(1e15)]).toEqual([V1, V1, V1]);
    expect(codeOf(() => inForceAt([], 0))).toBe('invalid_master_data');
  });
});

describe('planning a version', () => {
  const now = 1000 * MIN;
  const inForce = [v(1, NEG, V1), v(2, 500 * MIN, V2), v(3, 2000 * MIN, V1)];

  it('an ordinary change takes effect now or later and replaces the versions scheduled from then', () => {
    const plan = planVersion(inForce, 3, { kind: 'change', effectiveFrom: now, spec: V2, now });
    expect(plan.next).toEqual({ version: 4, effectiveFrom: now, spec: V2 });
    expect(plan.replaced).toEqual([3]);
    expect(plan.reevaluateFrom).toBe(now);
    expect(codeOf(() => checkEffect('change', now - 1, now))).toBe('spec_effective_in_past');
    expect(codeOf(() => planVersion(inForce, 3, { kind: 'change', effectiveFrom: 0, spec: V2, now }))).toBe(
      'spec_effective_in_past',
    );
  });

  it('a correction takes effect in the past and replaces the versions from then (all, from the beginning)', () => {
    const from = planVersion(inForce, 3, { kind: 'correction', effectiveFrom: 400 * MIN, spec: V1, now });
    expect(from.replaced).toEqual([2, 3]);
    const all = planVersion(inForce, 5, { kind: 'correction', effectiveFrom: NEG, spec: V1, now });
    expect(all).toMatchObject({ next: { version: 6, effectiveFrom: NEG }, replaced: [1, 2, 3] });
    expect(codeOf(() => checkEffect('correction', now, now))).toBe('invalid');
    expect(codeOf(() => checkEffect('correction', Number.NaN, now))).toBe('invalid');
  });
});

describe('analysis across a version boundary (docs/domain.md "Effective-dated specifications")', () => {
  // Version 2 (2–12 °C, alarm delay 30 min) takes effect at +20 min.
  const at = specAt([v(1, NEG, V1), v(2, 20 * MIN, V2)]);

  it('each reading is judged by its own version: 12 °C is out before the change, in range after it', () => {
    const before = analyzeSeries(series([0, 5], [10, 12], [14, 12], [16, 12], [24, 5]), at);
    expect(before.runs).toMatchObject([{ startTs: 10 * MIN, endTs: 24 * MIN, isExcursion: true }]);
    const after = analyzeSeries(series([20, 5], [30, 12], [50, 12], [60, 5]), at);
    expect(after.runs).toEqual([]);
    // The same readings under version 1 alone are an excursion: the version made the difference.
    expect(analyzeSeries(series([20, 5], [30, 12], [50, 12], [60, 5]), V1).excursions).toHaveLength(1);
  });

  it('a run started under version 1 continues across the change (a reading in range under version 2 ends it), with the alarm delay of its start', () => {
    // 9 °C from +15: out under version 1 and at +20 in range under version 2 → the run ends at +20 (5 min,
    // under version 1's 10 min delay: no excursion).
    const ended = analyzeSeries(series([0, 5], [15, 9], [20, 9], [30, 5]), at);
    expect(ended.runs).toMatchObject([{ startTs: 15 * MIN, endTs: 20 * MIN, isExcursion: false }]);
    // 12.5 °C from +15 (out under both, never critical): one run, never split at +20; it is an excursion
    // after version 1's 10 min (at +25), not version 2's 30 min.
    const across = analyzeSeries(series([0, 5], [15, 12.5], [20, 12.5], [26, 12.5], [40, 5]), at);
    expect(across.runs).toHaveLength(1);
    expect(across.runs[0]).toMatchObject({
      startTs: 15 * MIN,
      endTs: 40 * MIN,
      isExcursion: true,
      excursionAt: 25 * MIN,
    });
    // Excess is measured against each reading's own limit: 12.5 °C is 4.5 °C over version 1, 0.5 over 2.
    expect(across.runs[0]!.peakExcessC).toBe(4.5);
  });

  it('a run started under version 2 takes version 2 alarm delay', () => {
    const r = analyzeSeries(series([20, 5], [25, 12.5], [45, 12.5], [50, 5]), at);
    expect(r.runs).toMatchObject([{ startTs: 25 * MIN, isExcursion: false }]);
  });
});

describe('a single version is the old behaviour', () => {
  const temp = fc.oneof(
    fc.integer({ min: -30, max: 200 }).map((t) => t / 10),
    fc.constantFrom(2, 8, 13, 15, null),
  );
  const sample = fc.record({ ts: fc.integer({ min: 0, max: 300 }).map((n) => n * MIN), tempC: temp });
  const limits = fc.record({
    minC: fc.integer({ min: -5, max: 4 }),
    maxC: fc.integer({ min: 5, max: 15 }),
    alarmDelayMs: fc.integer({ min: 0, max: 60 }).map((n) => n * MIN),
    criticalMarginC: fc.integer({ min: 0, max: 6 }),
    maxGapMs: fc.integer({ min: 1, max: 60 }).map((n) => n * MIN),
  });

  it('analysis with a one-version timeline equals analysis with the limits themselves', () => {
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 60 }), limits, (s, l) => {
        const at = specAt([v(1, NEG, l)]);
        expect(analyzeSeries(s, (ts) => at(ts))).toEqual(analyzeSeries(s, l));
      }),
      { numRuns: 300 },
    );
  });

  it('two versions with equal limits equal one (the boundary itself changes nothing)', () => {
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 60 }),
        limits,
        fc.integer({ min: 0, max: 300 }),
        (s, l, b) => {
          const at = specAt([v(1, NEG, l), v(2, b * MIN, { ...l })]);
          expect(analyzeSeries(s, at)).toEqual(analyzeSeries(s, l));
        },
      ),
      { numRuns: 300 },
    );
  });
});
