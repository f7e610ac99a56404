import { MKT_DELTA_H_OVER_R } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { custodyMkt } from '../../src/domain/lot-mkt.js';
import { MIN, T0 } from './harness.js';

const at = (min: number) => T0 + min * MIN;

/**
 * USP <1079> by hand, independent of the code under test: T = (ΔH/R) / −ln(Σ tᵢ·e^(−(ΔH/R)/Tᵢ) / Σ tᵢ) with
 * ΔH/R = 10000 K. The values below were computed with a pocket script from the weights in each test:
 * [(20 min, 4 °C), (40 min, 6 °C), (30 min, 10 °C), (30 min, 2 °C)] → 6.194342572010157 °C. Read from the
 * store, stay by stay: lot-assessment.test.ts.
 */
const BY_HAND_4_STAYS = 6.194342572010157;

describe('custody MKT (domain/lot-mkt.ts)', () => {
  it('uses ΔH/R = 10000 K, the constant the hand values assume', () => {
    expect(MKT_DELTA_H_OVER_R).toBe(10_000);
  });

  it('weights each reading by the part of its hold inside the stay, over all stays', () => {
    const stays = [
      {
        // Room 0–60: 4 °C (from before the stay) holds 0–20, 6 °C 20–60; the 8 °C at 60 closes it.
        stay: { locationId: 'room', from: at(0), to: at(60), units: 2 },
        series: new Map([
          [
            's1',
            [
              { ts: at(-10), tempC: 4 },
              { ts: at(20), tempC: 6 },
              { ts: at(60), tempC: 8 },
            ],
          ],
        ]),
      },
      {
        // Truck from 60, still there: 10 °C 60–90, 2 °C 90–120; the last reading holds no time yet.
        stay: { locationId: 'truck', from: at(60), to: null, units: 2 },
        series: new Map([
          [
            's2',
            [
              { ts: at(60), tempC: 10 },
              { ts: at(90), tempC: 2 },
              { ts: at(120), tempC: 3 },
            ],
          ],
        ]),
      },
    ];
    expect(custodyMkt(stays)).toBeCloseTo(BY_HAND_4_STAYS, 9);
    // Input order does not matter.
    expect(custodyMkt([...stays].reverse())).toBeCloseTo(BY_HAND_4_STAYS, 9);
  });

  it('is null without a known reading', () => {
    expect(custodyMkt([])).toBeNull();
    expect(
      custodyMkt([
        {
          stay: { locationId: 'room', from: at(0), to: at(60), units: 1 },
          series: new Map([['s1', [{ ts: at(10), tempC: null }]]]),
        },
      ]),
    ).toBeNull();
  });
});
