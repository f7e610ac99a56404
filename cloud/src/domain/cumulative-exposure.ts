import { type CumulativeExposure, cumulativeExposure, type Interval, type Sample } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';
import { type CumulativeRule, conditionOf, cumulativeLockKey, parseStoredRules } from './cumulative-rules.js';
import { locationExposure, seriesOver } from './location-series.js';

type Db = Kysely<DomainDatabase> | Transaction<DomainDatabase>;

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
export async function ruledUnits(db: Db, epcs: readonly string[]): Promise<RuledUnit[]> {
  const out: RuledUnit[] = [];
  const sorted = [...new Set(epcs)].sort();
  for (let i = 0; i < sorted.length; i += 500) {
    const rows = await db
      .selectFrom('epcs')
      .innerJoin('lots', 'lots.id', 'epcs.lot_id')
      .leftJoin('products', 'products.gtin', 'lots.gtin')
      .select([
        'epcs.epc as epc',
        'lots.id as lot_id',
        'lots.gtin as gtin',
        'products.cumulative_rules as rules',
      ])
      .where('epcs.epc', 'in', sorted.slice(i, i + 500))
      .execute();
    for (const r of rows)
      out.push({ epc: r.epc, lotId: r.lot_id, gtin: r.gtin, rules: parseStoredRules(r.gtin, r.rules) });
  }
  return out.sort((a, b) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : 0));
}

/**
 * docs/architecture.md "Cumulative rules": for each unit and each rule of its product, the time it spent
 * above (below) the rule's threshold across its whole custody, through every location it was at (not only
 * during excursions), and whether and when it reached the rule's limit. A function of the stored readings,
 * custody and master data, so late data gives the same result as data in order. Each location's series is read once for the span its units were there.
 */
export async function cumulativeExposures(db: Db, units: readonly RuledUnit[]): Promise<UnitRuleExposure[]> {
  const withRules = units.filter((u) => u.rules.length > 0);
  if (withRules.length === 0) return [];
  const custody = new Map<
    string,
    Array<{ location_id: string; entered_at: number; left_at: number | null }>
  >();
  const epcs = withRules.map((u) => u.epc);
  for (let i = 0; i < epcs.length; i += 500) {
    const rows = await db
      .selectFrom('custody')
      .select(['epc', 'location_id', 'entered_at', 'left_at'])
      .where('epc', 'in', epcs.slice(i, i + 500))
      .orderBy('epc')
      .orderBy('entered_at')
      .execute();
    for (const r of rows) custody.set(r.epc, [...(custody.get(r.epc) ?? []), r]);
  }
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
    series.set(loc, await seriesOver(db, loc, s.from, s.to));
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
