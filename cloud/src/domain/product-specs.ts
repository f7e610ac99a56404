import { clipIntervals, type Interval, unionIntervals } from '@coldtrace/shared';
import { type CumulativeRule, parseStoredRules, ruleKey } from './cumulative-rules.js';
import { type SpecVersion, spanOf, timeline } from './spec-versions.js';

/** A product's specification as one version holds it (docs/domain.md "Effective-dated specifications"). */
export interface ProductSpec {
  minC: number;
  maxC: number;
  stabilityBudgetMs: number;
  cumulativeRules: CumulativeRule[];
}

/** The specification of a product row (`cumulative_rules` canonical JSON). */
export function productSpecOf(p: {
  gtin: string;
  min_c: number;
  max_c: number;
  stability_budget_ms: number;
  cumulative_rules: string | null;
}): ProductSpec {
  return {
    minC: p.min_c,
    maxC: p.max_c,
    stabilityBudgetMs: p.stability_budget_ms,
    cumulativeRules: parseStoredRules(p.gtin, p.cumulative_rules),
  };
}

/** A cumulative rule with the time until which some version of the product has it in force. */
export interface RuleInForce {
  rule: CumulativeRule;
  /** End of the last span in which a version holding this rule is in force (+Infinity: still in force). */
  until: number;
}

/**
 * Every cumulative rule any version in force holds, with until when (docs/domain.md "Effective-dated
 * specifications"): a rule locks a unit whose total reaches its limit before the rule stops being in force
 * (also when the total was reached before the rule took effect: from then on the unit is out of the
 * specification in force). A rule in several consecutive versions is one rule (same key).
 */
export function rulesInForce(versions: readonly SpecVersion<ProductSpec>[]): RuleInForce[] {
  const line = timeline(versions);
  const byKey = new Map<string, RuleInForce>();
  line.forEach((v, i) => {
    const { to } = spanOf(line, i);
    for (const rule of v.spec.cumulativeRules) {
      const cur = byKey.get(ruleKey(rule));
      if (!cur || cur.until < to) byKey.set(ruleKey(rule), { rule, until: to });
    }
  });
  return [...byKey.values()];
}

/**
 * Time outside the product's tolerance where each instant is judged by the version in force then:
 * `outsideOf(minC, maxC)` gives the intervals outside one tolerance; each is kept within its version's span.
 */
export function outsideByVersion(
  versions: readonly SpecVersion<ProductSpec>[],
  outsideOf: (minC: number, maxC: number) => Interval[],
): Interval[] {
  const line = timeline(versions);
  return unionIntervals(
    line.map((v, i) => {
      const { from, to } = spanOf(line, i);
      return clipIntervals(outsideOf(v.spec.minC, v.spec.maxC), from, Number.isFinite(to) ? to : null);
    }),
  );
}
