import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeSeries,
  holdWeights,
  mkt,
  normalizeSamples,
  type Sample,
} from '../../src/temperature/index.js';
import { COLD_ROOM, MIN, m } from './fixtures.js';

// Temperatures around the 2..8 °C room, including the limits, the critical margins, and unknowns.
const temp = fc.oneof(
  fc.integer({ min: -30, max: 140 }).map((t) => t / 10),
  fc.constantFrom(2, 8, 0, 10, null),
);
const sample = fc.record({ ts: fc.integer({ min: 0, max: 240 }).map((n) => m(n)), tempC: temp });
const samples = fc.array(sample, { maxLength: 60 });

describe('analyzeSeries properties', () => {
  it('permuting and duplicating samples never changes the result', () => {
    fc.assert(
      fc.property(
        samples,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.double({ noNaN: true }), { maxLength: 90 }),
        (s, dupIdx, keys) => {
          const withDups = [...s, ...(s.length ? dupIdx.map((i) => ({ ...s[i % s.length]! })) : [])];
          const shuffled = withDups
            .map((x, i) => ({ x, k: keys[i] ?? i }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
          expect(analyzeSeries(shuffled, COLD_ROOM)).toEqual(analyzeSeries(s, COLD_ROOM));
        },
      ),
    );
  });

  it('appending in-range samples after a closed run never changes it', () => {
    fc.assert(
      fc.property(
        samples,
        fc.array(fc.record({ dt: fc.integer({ min: 1, max: 600 }), t: fc.integer({ min: 20, max: 80 }) }), {
          minLength: 1,
          maxLength: 10,
        }),
        (s, tail) => {
          const before = analyzeSeries(s, COLD_ROOM);
          let ts = Math.max(m(0), ...s.map((x) => x.ts));
          const appended: Sample[] = [];
          for (const { dt, t } of tail) {
            ts += dt * MIN;
            appended.push({ ts, tempC: t / 10 });
          }
          const after = analyzeSeries([...s, ...appended], COLD_ROOM);
          const closed = before.runs.filter((r) => r.endTs !== null);
          expect(after.runs.slice(0, closed.length)).toEqual(closed);
          // The only new run content is the ongoing one that the in-range tail closes.
          expect(after.runs).toHaveLength(before.runs.length);
        },
      ),
    );
  });

  it('every run is well-formed', () => {
    fc.assert(
      fc.property(samples, (s) => {
        const { runs, gaps } = analyzeSeries(s, COLD_ROOM);
        for (const r of runs) {
          expect(r.durationMs).toBe((r.endTs ?? r.lastTs) - r.startTs);
          expect(r.startTs).toBeLessThanOrEqual(r.lastTs);
          expect(r.minC).toBeLessThanOrEqual(r.peakC);
          expect(r.peakC).toBeLessThanOrEqual(r.maxC);
          expect(r.degreeMinutes).toBeGreaterThanOrEqual(0);
          expect(r.isExcursion).toBe(r.critical || r.durationMs >= COLD_ROOM.alarmDelayMs);
          if (r.excursionAt !== null) expect(r.excursionAt).toBeGreaterThanOrEqual(r.startTs);
        }
        for (let i = 1; i < runs.length; i++) expect(runs[i]!.startTs).toBeGreaterThan(runs[i - 1]!.endTs!);
        for (const g of gaps) expect(g.toTs - g.fromTs).toBe(g.durationMs); // a lone unknown sample is a 0 ms gap
      }),
    );
  });
});

describe('mkt properties', () => {
  const known = fc.uniqueArray(
    fc.record({
      ts: fc.integer({ min: 0, max: 10_000 }),
      tempC: fc.integer({ min: -400, max: 600 }).map((t) => t / 10),
    }),
    { selector: (x) => x.ts, minLength: 1, maxLength: 40 },
  );
  it('lies between min and max and is at least the time-weighted arithmetic mean (Jensen)', () => {
    fc.assert(
      fc.property(known, fc.integer({ min: 0, max: 5_000 }), (s, extra) => {
        const endTs = Math.max(...s.map((x) => x.ts)) + extra;
        const got = mkt(s, endTs)!;
        const temps = s.map((x) => x.tempC!);
        const eps = 1e-9;
        expect(got).toBeGreaterThanOrEqual(Math.min(...temps) - eps);
        expect(got).toBeLessThanOrEqual(Math.max(...temps) + eps);
        const sorted = normalizeSamples(s);
        let w = holdWeights(sorted, endTs);
        if (w.every((x) => x === 0)) w = w.map(() => 1);
        const total = w.reduce((a, b) => a + b, 0);
        const mean = sorted.reduce((a, x, i) => a + x.tempC! * w[i]!, 0) / total;
        expect(got).toBeGreaterThanOrEqual(mean - eps);
      }),
    );
  });
});
