import { type CumulativeExposure, cumulativeExposure, type Interval, type Sample } from '@coldtrace/shared';
import { type CumulativeRule, conditionOf, cumulativeLockKey, parseStoredRules } from './cumulative-rules.js';
import type { CustodyStay, ExposureReads } from './exposure-reads.js';
import { locationExposure } from './location-series.js';
import { type RuleInForce, rulesInForce } from './product-specs.js';

/** A unit (EPC) commissioned to a lot, with the cumulative rules of the lot's product. */
export interface RuledUnit {
  epc: string;
  lotId: string;
  gtin: string;
  /** Every rule a version of the product in force holds, with until when (`rulesInForce`). */
  rules: RuleInForce[];
}

/** One unit's exposure under one rule of its product. */
export interface UnitRuleExposure {
  epc: string;
  lotId: string;
  rule: CumulativeRule;
  /** The lock key of this lot and rule (`cumulative:<lot>:<rule>`). */
  key: string;
  exposure: CumulativeExposure;
}

/**
 * Lot, product and the product's cumulative rules of each given EPC commissioned to a lot: the rules of
 * every version in force (a product without recorded versions: its stored rules, for all time).
 */
export async function ruledUnits(reads: ExposureReads, epcs: readonly string[]): Promise<RuledUnit[]> {
  const units = await reads.commissioned([...new Set(epcs)].sort());
  const byProduct = new Map<string, RuleInForce[]>();
  const rulesOf = async (gtin: string, json: string | null) => {
    let rules = byProduct.get(gtin);
    if (!rules) {
      const versions = await reads.productVersions(gtin);
      rules =
        versions.length > 0
          ? rulesInForce(versions)
          : parseStoredRules(gtin, json).map((rule) => ({ rule, until: Number.POSITIVE_INFINITY }));
      byProduct.set(gtin, rules);
    }
    return rules;
  };
  const out: RuledUnit[] = [];
  for (const r of units)
    out.push({ epc: r.epc, lotId: r.lotId, gtin: r.gtin, rules: await rulesOf(r.gtin, r.rulesJson) });
  return out.sort((a, b) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : 0));
}

/**
 * docs/architecture.md "Cumulative rules": for each unit and each rule of its product, the time it spent
 * above (below) the rule's threshold across its whole custody, through every location it was at (not only
 * during excursions), and whether and when it reached the rule's limit. A function of the stored readings,
 * custody and master data, so late data gives the same result as data in order. Each location's series is read once for the span its units were there.
 */
export async function cumulativeExposures(
  reads: ExposureReads,
  units: readonly RuledUnit[],
): Promise<UnitRuleExposure[]> {
  const withRules = units.filter((u) => u.rules.length > 0);
  if (withRules.length === 0) return [];
  const custody = new Map<string, CustodyStay[]>();
  for (const r of await reads.stays(withRules.map((u) => u.epc)))
    custody.set(r.epc, [...(custody.get(r.epc) ?? []), r]);
  // Per location: the span its ruled units were there, and the conditions asked of it.
  const spans = new Map<string, { from: number; to: number | null }>();
  for (const u of withRules) {
    for (const c of custody.get(u.epc) ?? []) {
      const s = spans.get(c.location_id);
      if (!s) spans.set(c.location_id, { from: c.entered_at, to: c.left_at });
      else {
        s.from = Math.min(s.from, c.entered_at);
        s.to = s.to === null || c.left_at === null ? null : Math.max(s.to, c.left_at);
      }
    }
  }
  const series = new Map<string, Map<string, Sample[]>>();
  for (const [loc, s] of [...spans].sort(([a], [b]) => (a < b ? -1 : 1)))
    series.set(loc, await reads.seriesOver(loc, s.from, s.to));
  const exposure = new Map<string, Interval[]>();
  const exposureAt = (loc: string, r: CumulativeRule) => {
    const k = `${loc}\u0000${r.kind}:${r.thresholdC}`;
    let e = exposure.get(k);
    if (!e) {
      e = locationExposure(series.get(loc) ?? new Map(), conditionOf(r));
      exposure.set(k, e);
    }
    return e;
  };
  const out: UnitRuleExposure[] = [];
  for (const u of withRules) {
    const stays = custody.get(u.epc) ?? [];
    for (const { rule, until } of u.rules) {
      const total = cumulativeExposure(
        stays.map((c) => ({
          locationId: c.location_id,
          from: c.entered_at,
          to: c.left_at,
          exposure: exposureAt(c.location_id, rule),
        })),
        rule.limitMs,
      );
      // A rule reached only after it stopped being in force (a later version dropped it) locks nothing.
      const result =
        total.exceeded && total.reachedAt !== null && total.reachedAt >= until
          ? { ...total, exceeded: false, reachedAt: null, reachedLocationId: null }
          : total;
      out.push({ epc: u.epc, lotId: u.lotId, rule, key: cumulativeLockKey(u.lotId, rule), exposure: result });
    }
  }
  return out;
}
