import {
  addMktTerms,
  clipIntervals,
  type MktTerms,
  mktFromTerms,
  totalLength,
  unionIntervals,
} from '@coldtrace/shared';
import { cumulativeExposures, ruledUnits } from './cumulative-exposure.js';
import { CUMULATIVE_CAUSE, type CumulativeRule } from './cumulative-rules.js';
import type { LotReads, UnitLock } from './exposure-reads.js';
import { locationExposure } from './location-series.js';
import { lockSubject } from './locks/lock-subject.js';
import { windowMktTerms } from './lot-mkt.js';
import { outsideByVersion, productSpecOf, rulesInForce } from './product-specs.js';

export interface LotCumulative {
  rule: CumulativeRule;
  /** The lock key of this lot and rule (what a disposition names as `excursionId`). */
  key: string;
  /** The most time one unit of the lot spent beyond the rule's threshold across its custody (ms). */
  exposedMs: number;
  limitMs: number;
  /** Some unit reached the limit. */
  exceeded: boolean;
  unitsExceeded: number;
  /** Earliest instant a unit reached the limit (null when none did). */
  reachedAt: number | null;
  /** Units with an active lock under this rule. */
  lockedUnits: number;
}

export interface LotAssessment {
  lotId: string;
  gtin: string;
  product: {
    name: string;
    minC: number;
    maxC: number;
    stabilityBudgetMs: number;
    cumulativeRules: CumulativeRule[];
  } | null;
  units: { total: number; locked: number; released: number; rejected: number };
  /**
   * Time outside the product's tolerance across all excursions its units were exposed to: the most any one
   * unit spent (a unit's stability budget is its own; units exposed at different times do not add up).
   */
  timeOutsideMs: number;
  budgetRemainingMs: number | null;
  withinBudget: boolean | null;
  /** MKT over the readings of the lot's exposure windows (all excursions), each weighted by its time inside them. */
  mktC: number | null;
  /** Per excursion: units exposed and the most time one of them spent outside the product's tolerance. */
  excursions: Array<{ excursionId: string; locationId: string; exposedUnits: number; timeOutsideMs: number }>;
  /** Per cumulative rule of the product (docs/domain.md "Cumulative rules"). */
  cumulative: LotCumulative[];
  /** Where the lot's units are now: location → units (null = never seen). */
  whereNow: Record<string, number>;
}

/**
 * docs/architecture.md "Affected stock and locks": per lot, the time spent outside the product's own
 * tolerance during the excursions it was exposed to and the MKT over those windows, and its cumulative rules.
 * A pure function of stored state. Each unit counts over its own exposure window (the reading holding when it
 * entered counts from that moment); the location's sensors measure the same air, so the location is outside
 * while any sensor says so.
 */
export async function assessLot(reads: LotReads, lotId: string): Promise<LotAssessment | undefined> {
  const gtin = await reads.lotGtin(lotId);
  if (gtin === undefined) return undefined;
  const product = await reads.product(gtin);
  // docs/domain.md "Effective-dated specifications": every instant is judged by the version in force then.
  const recorded = product ? await reads.productVersions(gtin) : [];
  const versions =
    recorded.length > 0 || !product
      ? recorded
      : [{ version: 1, effectiveFrom: Number.NEGATIVE_INFINITY, spec: productSpecOf(product) }];
  const rules = rulesInForce(versions).map((r) => r.rule);
  const epcs = await reads.unitsOfLot(lotId);
  const locks = epcs.length ? await reads.locks(epcs) : [];
  const unitState = new Map<string, Set<string>>();
  for (const l of locks) {
    const s = unitState.get(l.epc) ?? new Set();
    s.add(l.state);
    unitState.set(l.epc, s);
  }
  const count = (st: string) => [...unitState.values()].filter((s) => s.has(st)).length;
  const byExcursion = new Map<string, UnitLock[]>();
  for (const l of locks)
    if (l.cause === 'excursion') byExcursion.set(l.subject, [...(byExcursion.get(l.subject) ?? []), l]);

  const perUnit = new Map<string, number>();
  const terms: MktTerms[] = [];
  const excursions: LotAssessment['excursions'] = [];
  for (const [excursionId, rows] of byExcursion) {
    const loc = rows[0]!.location_id;
    const from = Math.min(...rows.map((r) => r.exposed_from));
    const to = rows.some((r) => r.exposed_to === null) ? null : Math.max(...rows.map((r) => r.exposed_to!));
    const series = await reads.seriesOver(loc, from, to);
    const outside = outsideByVersion(versions, (minC, maxC) =>
      locationExposure(series, { kind: 'outside', minC, maxC }),
    );
    let worst = 0;
    for (const r of rows) {
      const ms = totalLength(clipIntervals(outside, r.exposed_from, r.exposed_to));
      worst = Math.max(worst, ms);
      perUnit.set(r.epc, (perUnit.get(r.epc) ?? 0) + ms);
    }
    const windows = unionIntervals(
      rows.map((r) => [{ from: r.exposed_from, to: r.exposed_to ?? Number.POSITIVE_INFINITY }]),
    );
    for (const samples of series.values()) terms.push(windowMktTerms(samples, windows));
    excursions.push({ excursionId, locationId: loc, exposedUnits: rows.length, timeOutsideMs: worst });
  }
  const timeOutsideMs = Math.max(0, ...perUnit.values());

  const cumulative: LotCumulative[] = [];
  if (rules.length) {
    const computed = await cumulativeExposures(reads, await ruledUnits(reads, epcs));
    for (const rule of rules) {
      const mine = computed.filter(
        (c) =>
          c.rule.kind === rule.kind &&
          c.rule.thresholdC === rule.thresholdC &&
          c.rule.limitMs === rule.limitMs,
      );
      const key = mine[0] ? lockSubject(CUMULATIVE_CAUSE, mine[0].key) : '';
      const reached = mine.flatMap((c) => (c.exposure.reachedAt === null ? [] : [c.exposure.reachedAt]));
      cumulative.push({
        rule,
        key,
        exposedMs: Math.max(0, ...mine.map((c) => c.exposure.exposedMs)),
        limitMs: rule.limitMs,
        exceeded: reached.length > 0,
        unitsExceeded: reached.length,
        reachedAt: reached.length ? Math.min(...reached) : null,
        lockedUnits: locks.filter((l) => l.subject === key && l.state === 'active').length,
      });
    }
  }

  const now = epcs.length ? await reads.whereNow(epcs) : [];
  const whereNow: Record<string, number> = {};
  for (const r of now) whereNow[r.location_id] = (whereNow[r.location_id] ?? 0) + 1;
  return {
    lotId,
    gtin,
    product: product
      ? {
          name: product.name,
          minC: product.min_c,
          maxC: product.max_c,
          stabilityBudgetMs: product.stability_budget_ms,
          cumulativeRules: rules,
        }
      : null,
    units: {
      total: epcs.length,
      locked: count('active'),
      released: count('released'),
      rejected: count('rejected'),
    },
    timeOutsideMs,
    budgetRemainingMs: product ? product.stability_budget_ms - timeOutsideMs : null,
    withinBudget: product ? timeOutsideMs <= product.stability_budget_ms : null,
    mktC: terms.length ? mktFromTerms(addMktTerms(...terms)) : null,
    excursions,
    cumulative,
    whereNow,
  };
}
