import { type CumulativeExposure, cumulativeExposure, type Interval, type Sample } from '@coldtrace/shared';
import { type CumulativeRule, conditionOf, cumulativeLockKey, parseStoredRules } from './cumulative-rules.js';
import type { CustodyStay, ExposureReads } from './exposure-reads.js';
import { locationExposure } from './location-series.js';

/** A unit (EPC) commissioned to a lot, with the cumulative rules of the lot's product. */
export interface RuledUnit {
  epc: string;
  lotId: string;
  gtin: string;
  rules: CumulativeRule[];
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

/** Lot, product and the product's cumulative rules of each given EPC commissioned to a lot. */
export async function ruledUnits(reads: ExposureReads, epcs: readonly string[]): Promise<RuledUnit[]> {
  const units = await reads.commissioned([...new Set(epcs)].sort());
  return units
    .map((r) => ({ epc: r.epc, lotId: r.lotId, gtin: r.gtin, rules: parseStoredRules(r.gtin, r.rulesJson) }))
    .sort((a, b) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : 0));
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
    for (const rule of u.rules) {
      const result = cumulativeExposure(
        stays.map((c) => ({
          locationId: c.location_id,
          from: c.entered_at,
          to: c.left_at,
          exposure: exposureAt(c.location_id, rule),
        })),
        rule.limitMs,
      );
      out.push({ epc: u.epc, lotId: u.lotId, rule, key: cumulativeLockKey(u.lotId, rule), exposure: result });
    }
  }
  return out;
}
