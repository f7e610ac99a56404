import { describe, expect, it } from 'vitest';
import { outsideByVersion, type ProductSpec, rulesInForce } from '../../src/domain/product-specs.js';
import type { SpecVersion } from '../../src/domain/spec-versions.js';

const H = 3_600_000;
const RULE_30 = { kind: 'above' as const, thresholdC: 8, limitMs: H / 2 };
const RULE_60 = { kind: 'above' as const, thresholdC: 8, limitMs: H };
const FREEZE = { kind: 'below' as const, thresholdC: 0, limitMs: H };
const spec = (over: Partial<ProductSpec>): ProductSpec => ({
  minC: 2,
  maxC: 8,
  stabilityBudgetMs: 10 * H,
  cumulativeRules: [],
  ...over,
});
const v = (version: number, effectiveFrom: number, s: ProductSpec): SpecVersion<ProductSpec> => ({
  version,
  effectiveFrom,
  spec: s,
});
const NEG = Number.NEGATIVE_INFINITY;

describe('cumulative rules in force (docs/domain.md "Effective-dated specifications")', () => {
  it('each rule is in force until the last span of a version holding it ends', () => {
    const versions = [
      v(1, NEG, spec({ cumulativeRules: [RULE_30, FREEZE] })),
      v(2, 10 * H, spec({ cumulativeRules: [RULE_60, FREEZE] })),
      v(3, 20 * H, spec({ cumulativeRules: [RULE_60] })),
    ];
    const byRule = new Map(rulesInForce(versions).map((r) => [JSON.stringify(r.rule), r.until]));
    expect(byRule).toEqual(
      new Map([
        [JSON.stringify(RULE_30), 10 * H],
        [JSON.stringify(FREEZE), 20 * H],
        [JSON.stringify(RULE_60), Number.POSITIVE_INFINITY],
      ]),
    );
  });

  it('one version: its rules for all time (the old behaviour)', () => {
    expect(rulesInForce([v(1, NEG, spec({ cumulativeRules: [RULE_30] }))])).toEqual([
      { rule: RULE_30, until: Number.POSITIVE_INFINITY },
    ]);
  });
});

describe('time outside the tolerance in force', () => {
  it('judges each instant by the version in force then', () => {
    // Version 2 widens the tolerance to 2–25 °C from +5 h: the same readings are outside before, inside after.
    const versions = [v(1, NEG, spec({})), v(2, 5 * H, spec({ maxC: 25 }))];
    // 10 °C from +3 h to +8 h: outside 2–8 °C, inside 2–25 °C.
    const outsideOf = (_minC: number, maxC: number) => (maxC < 10 ? [{ from: 3 * H, to: 8 * H }] : []);
    expect(outsideByVersion(versions, outsideOf)).toEqual([{ from: 3 * H, to: 5 * H }]);
    // A single version: exactly its intervals.
    expect(outsideByVersion([v(1, NEG, spec({}))], outsideOf)).toEqual([{ from: 3 * H, to: 8 * H }]);
  });
});
