import { describe, expect, it } from 'vitest';
import {
  justificationProblem,
  MIN_JUSTIFICATION_CHARS,
  secondSignatureReasons,
} from '../../src/domain/release-guard.js';

const H = 3600_000;
const lot = (over: object = {}) => ({
  lotId: 'LOT-B',
  timeOutsideMs: 1 * H,
  stabilityBudgetMs: 2 * H,
  cumulativeReached: [] as string[],
  ...over,
});

describe('the two-person rule for releases (docs/domain.md "Two-person release")', () => {
  it('needs one signature for a lot within its budget and no rule reached', () => {
    expect(secondSignatureReasons('excursion', [lot()])).toEqual([]);
    expect(secondSignatureReasons('excursion', [lot({ timeOutsideMs: 2 * H })])).toEqual([]);
    expect(
      secondSignatureReasons('excursion', [lot({ stabilityBudgetMs: null, timeOutsideMs: 9 * H })]),
    ).toEqual([]);
    expect(secondSignatureReasons('rate_of_change', [])).toEqual([]);
  });

  it('needs two past the stability budget, for a reached cumulative rule, and for a cumulative lock', () => {
    expect(secondSignatureReasons('excursion', [lot({ timeOutsideMs: 2 * H + 1 })])).toEqual([
      'lot LOT-B is past its stability budget (100 % used)',
    ]);
    expect(secondSignatureReasons('excursion', [lot({ timeOutsideMs: 5 * H })])[0]).toMatch(/250 % used/);
    expect(
      secondSignatureReasons('excursion', [lot({ cumulativeReached: ['LOT-B:above:8:3600000'] })]),
    ).toEqual(['lot LOT-B reached a cumulative rule (LOT-B:above:8:3600000)']);
    expect(secondSignatureReasons('cumulative', [lot({ cumulativeReached: ['k'] })])).toEqual([
      'the lock is a cumulative rule that was reached',
    ]);
  });

  it('asks for a justification of a minimum length', () => {
    expect(justificationProblem(undefined)).toMatch(/at least 50 characters is required \(0 given\)/);
    expect(justificationProblem(`  ${'x'.repeat(MIN_JUSTIFICATION_CHARS - 1)}  `)).toMatch(/49 given/);
    expect(justificationProblem('x'.repeat(MIN_JUSTIFICATION_CHARS))).toBeNull();
  });
});
