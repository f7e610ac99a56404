import { describe, expect, it } from 'vitest';
import { bucketPlan, meanIsSettled } from '../../src/epcis/epcis-sensor-stats.js';

const H = 3_600_000;

describe('EPCIS sensor statistics from buckets', () => {
  it('plans whole hours between custody ends as buckets, the rest as readings', () => {
    // Stays [0:30, 3:10) and [1:00, 5:00): ends at 0:30, 1:00, 3:10, 5:00.
    const plan = bucketPlan([0.5 * H, 3 * H + 600_000, H, 5 * H, H], H);
    expect(plan.clean).toEqual([
      [H, 3 * H],
      [4 * H, 5 * H],
    ]);
    expect(plan.raw).toEqual([
      [0.5 * H, H],
      [3 * H, 4 * H],
    ]);
    // A piece shorter than an hour is read whole; negative times floor like the rollups' buckets.
    expect(bucketPlan([-1.5 * H, -H + 1], H)).toEqual({ clean: [], raw: [[-1.5 * H, -H + 1]] });
  });

  it('settles a bucketed mean only away from a rounding boundary', () => {
    const at = (sum: number, n: number) => ({ min: 0, max: 10, sum, n, maxAbs: 10, bucketed: true });
    expect(meanIsSettled(at(3.9765 * 3, 3))).toBe(false);
    expect(meanIsSettled(at(3.9763 * 3, 3))).toBe(true);
    // Readings only: the one-pass sum itself, always settled.
    expect(meanIsSettled({ ...at(3.9765 * 3, 3), bucketed: false })).toBe(true);
  });
});
