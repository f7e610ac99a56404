import { describe, expect, it } from 'vitest';
import {
  addMktTerms,
  cumulativeAbove,
  MKT_DELTA_H_OVER_R,
  mkt,
  mktFromTerms,
  mktTerms,
  timeOutside,
} from '../../src/temperature/index.js';
import { MIN, m, series } from './fixtures.js';

/** exp(−(ΔH/R)/T) with T in kelvin, written out independently of the implementation. */
const boltz = (c: number) => Math.exp(-10000 / (c + 273.15));

describe('mkt (USP <1079>)', () => {
  it('uses ΔH/R = 10000 K', () => {
    expect(MKT_DELTA_H_OVER_R).toBe(10000);
  });

  it('a constant series has that temperature as MKT', () => {
    // Σ tᵢ·e^(−a/T) / Σ tᵢ = e^(−a/T), so T_K = a / (a/T) = T.
    expect(mkt(series([0, 5], [10, 5], [20, 5]), m(30))).toBeCloseTo(5, 10);
  });

  it('two equal-weight temperatures 20 °C and 30 °C', () => {
    // By hand: a/293.15 = 34.112229, a/303.15 = 32.986970, e^(34.112229 − 32.986970) = e^1.125259 = 3.081015
    // mean = e^(−34.112229)·(1 + 3.081015)/2 = e^(−34.112229)·2.0405075
    // −ln(mean) = 34.112229 − ln(2.0405075) = 34.112229 − 0.713198 = 33.399031
    // T_K = 10000 / 33.399031 = 299.4099 K → 26.2599 °C
    const expected = 10000 / -Math.log((boltz(20) + boltz(30)) / 2) - 273.15;
    const got = mkt(series([0, 20], [60, 30]), m(120));
    expect(got).toBeCloseTo(expected, 9);
    expect(got).toBeCloseTo(26.2599, 3);
    // Above the arithmetic mean 25 °C: MKT weights warm periods more.
    expect(got!).toBeGreaterThan(25);
  });

  it('weights each sample by the time it represents', () => {
    // 20 °C held 3 h, 30 °C held 1 h (until endTs)
    const expected = 10000 / -Math.log((3 * boltz(20) + 1 * boltz(30)) / 4) - 273.15;
    expect(mkt(series([0, 20], [180, 30]), m(240))).toBeCloseTo(expected, 9);
    expect(mkt(series([0, 20], [180, 30]), m(240))).toBeCloseTo(23.644, 3);
  });

  it('uses equal weights when every weight is zero', () => {
    expect(mkt(series([0, 12]))).toBeCloseTo(12, 10);
    expect(mkt([{ ts: m(0), tempC: 20 }], m(0))).toBeCloseTo(20, 10);
  });

  it('the last sample gets no weight without endTs', () => {
    expect(mkt(series([0, 20], [60, 30]))).toBeCloseTo(20, 10);
  });

  it('unknown samples end the previous hold and add nothing', () => {
    // 20 °C holds 0→60 (until the unknown), 30 °C holds 120→180
    const expected = 10000 / -Math.log((boltz(20) + boltz(30)) / 2) - 273.15;
    expect(mkt(series([0, 20], [60, null], [120, 30]), m(180))).toBeCloseTo(expected, 9);
  });

  it('is null without known samples', () => {
    expect(mkt([])).toBeNull();
    expect(mkt(series([0, null], [5, null]), m(10))).toBeNull();
  });

  it('ignores input order', () => {
    const s = series([0, 3], [7, 9], [13, 5], [29, 14]);
    expect(mkt([...s].reverse(), m(40))).toBe(mkt(s, m(40)));
  });

  it('combines terms of several series like one weighted series', () => {
    const a = mktTerms(series([0, 10]), m(30)); // 10 °C for 30 min
    const b = mktTerms(series([0, 12]), m(40)); // 12 °C for 40 min
    const expected = 10000 / -Math.log((30 * boltz(10) + 40 * boltz(12)) / 70) - 273.15;
    expect(mktFromTerms(addMktTerms(a, b))).toBeCloseTo(expected, 9);
    expect(mktFromTerms(addMktTerms())).toBeNull();
  });
});

describe('cumulativeAbove / timeOutside', () => {
  const s = series([0, 5], [10, 9], [25, 8], [30, null], [40, 1], [50, 5]);
  it('sums the held time strictly above a threshold', () => {
    expect(cumulativeAbove(s, 8)).toBe(15 * MIN); // 9 °C from 10 to 25; 8 °C is not above 8
    expect(cumulativeAbove(s, 7)).toBe(20 * MIN); // plus 8 °C from 25 to 30 (until the unknown)
    expect(cumulativeAbove(s, 4, m(60))).toBe(40 * MIN); // 0→30 and 50→60
    expect(cumulativeAbove([], 4)).toBe(0);
  });
  it('sums the held time outside a range', () => {
    expect(timeOutside(s, 2, 8)).toBe(25 * MIN); // 9 °C 15 min + 1 °C 10 min
    expect(timeOutside(s, 2, 8, m(90))).toBe(25 * MIN);
    expect(timeOutside(series([0, 1]), 2, 8, m(5))).toBe(5 * MIN);
  });
  it('keeps the worst duplicate', () => {
    expect(cumulativeAbove(series([0, 5], [0, 9], [10, 5]), 8)).toBe(10 * MIN);
  });
});
