import { addMktTerms, type MktTerms, mktFromTerms, mktTerms, timeOutside } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';

export interface LotAssessment {
  lotId: string;
  gtin: string;
  product: { name: string; minC: number; maxC: number; stabilityBudgetMs: number } | null;
  units: { total: number; locked: number; released: number; rejected: number };
  /** Time outside the product's tolerance across all excursions the lot's units were exposed to. */
  timeOutsideMs: number;
  budgetRemainingMs: number | null;
  withinBudget: boolean | null;
  /** MKT over the readings of the lot's exposure windows (all excursions). */
  mktC: number | null;
  excursions: Array<{ excursionId: string; locationId: string; exposedUnits: number; timeOutsideMs: number }>;
  /** Where the lot's units are now: location → units (null = never seen). */
  whereNow: Record<string, number>;
}

/**
 * DESIGN "Affected stock and locks": per lot, the time spent outside the product's own tolerance during
 * each excursion it was exposed to (from the union of its units' exposure windows, the location's
 * sensors measuring the same air: the longest per sensor counts), summed over excursions and compared
 * with the product's stability budget, and the MKT over those windows. A pure function of stored state.
 */
export async function assessLot(
  db: Kysely<DomainDatabase>,
  lotId: string,
): Promise<LotAssessment | undefined> {
  const lot = await db.selectFrom('lots').selectAll().where('id', '=', lotId).executeTakeFirst();
  if (!lot) return undefined;
  const product = await db.selectFrom('products').selectAll().where('gtin', '=', lot.gtin).executeTakeFirst();
  const epcs = (await db.selectFrom('epcs').select('epc').where('lot_id', '=', lotId).execute()).map(
    (r) => r.epc,
  );
  const locks = epcs.length
    ? await db
        .selectFrom('locks')
        .selectAll()
        .where('state', '!=', 'lifted')
        .where('epc', 'in', epcs)
        .execute()
    : [];
  const unitState = new Map<string, Set<string>>();
  for (const l of locks) {
    const s = unitState.get(l.epc) ?? new Set();
    s.add(l.state);
    unitState.set(l.epc, s);
  }
  const count = (st: string) => [...unitState.values()].filter((s) => s.has(st)).length;
  const byExcursion = new Map<string, typeof locks>();
  for (const l of locks) byExcursion.set(l.excursion_id, [...(byExcursion.get(l.excursion_id) ?? []), l]);

  let timeOutsideMs = 0;
  const terms: MktTerms[] = [];
  const excursions: LotAssessment['excursions'] = [];
  for (const [excursionId, rows] of [...byExcursion.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const x = await db.selectFrom('excursions').selectAll().where('id', '=', excursionId).executeTakeFirst();
    const end = x ? (x.end_ts ?? x.last_ts) : null;
    const from = Math.min(...rows.map((r) => r.exposed_from));
    const to = Math.max(...rows.map((r) => r.exposed_to ?? end ?? r.exposed_from));
    const loc = rows[0]!.location_id;
    let outside = 0;
    if (to > from) {
      const readings = await db
        .selectFrom('readings')
        .select(['sensor_id', 'ts', 'temp_c'])
        .where('location_id', '=', loc)
        .where('ts', '>=', from)
        .where('ts', '<', to)
        .orderBy('sensor_id')
        .orderBy('ts')
        .execute();
      const bySensor = new Map<string, Array<{ ts: number; tempC: number | null }>>();
      for (const r of readings)
        bySensor.set(r.sensor_id, [...(bySensor.get(r.sensor_id) ?? []), { ts: r.ts, tempC: r.temp_c }]);
      for (const samples of bySensor.values()) {
        if (product) outside = Math.max(outside, timeOutside(samples, product.min_c, product.max_c, to));
        terms.push(mktTerms(samples, to));
      }
    }
    timeOutsideMs += outside;
    excursions.push({ excursionId, locationId: loc, exposedUnits: rows.length, timeOutsideMs: outside });
  }
  const now = await db
    .selectFrom('custody')
    .select(['epc', 'location_id'])
    .where('left_at', 'is', null)
    .where('epc', 'in', epcs.length ? epcs : [''])
    .execute();
  const whereNow: Record<string, number> = {};
  for (const r of now) whereNow[r.location_id] = (whereNow[r.location_id] ?? 0) + 1;
  return {
    lotId,
    gtin: lot.gtin,
    product: product
      ? {
          name: product.name,
          minC: product.min_c,
          maxC: product.max_c,
          stabilityBudgetMs: product.stability_budget_ms,
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
    whereNow,
  };
}
