import { describe, expect, it } from 'vitest';
import { cumulativeExposures } from '../../src/domain/cumulative-exposure.js';
import type { ExposureReads } from '../../src/domain/exposure-reads.js';
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

describe('a cumulative rule locks only while it is in force', () => {
  const MIN = 60_000;
  // One unit at room-a from 0 on; 10 °C (above +8 °C) for the first 40 min, then 5 °C.
  const reads: ExposureReads = {
    commissioned: async () => [],
    stays: async () => [{ epc: 'E1', location_id: 'room-a', entered_at: 0, left_at: null }],
    seriesOver: async () =>
      new Map([
        [
          's-1',
          [
            { ts: 0, tempC: 10 },
            { ts: 40 * MIN, tempC: 5 },
            { ts: 60 * MIN, tempC: 5 },
          ],
        ],
      ]),
    productVersions: async () => [],
  };
  const unit = (until: number) => ({
    epc: 'E1',
    lotId: 'L1',
    gtin: '80614141123458',
    rules: [{ rule: RULE_30, until }],
  });

  it('a total reached while the rule is in force locks (reached at +30 min)', async () => {
    const [x] = await cumulativeExposures(reads, [unit(35 * MIN)]);
    expect(x!.exposure).toMatchObject({ exceeded: true, reachedAt: 30 * MIN, reachedLocationId: 'room-a' });
  });

  it('a total reached only after a later version dropped the rule locks nothing', async () => {
    const [x] = await cumulativeExposures(reads, [unit(20 * MIN)]);
    expect(x!.exposure).toMatchObject({ exceeded: false, reachedAt: null, exposedMs: 40 * MIN });
  });
});
