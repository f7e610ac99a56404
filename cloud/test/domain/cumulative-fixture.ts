import type { CumulativeRule } from '../../src/domain/cumulative-rules.js';
import { serializeRules } from '../../src/domain/cumulative-rules.js';
import { lockSubject } from '../../src/domain/locks/lock-subject.js';
import { CumulativeRule as CumulativeRuleLock } from '../../src/domain/rules/cumulative-rule.js';
import { unitEpc } from './domain-fixtures.js';
import { type Ev, evaluateAll, type Harness, location, MIN, openHarness, reading, T0 } from './harness.js';

// The world of the cumulative rule's tests (cumulative-rule*.test.ts): one product with a rule, two lots
// of two units each, three locations.

export const GTIN = '80614141123458';
export const [U1, U2, U3, U4] = [1, 2, 3, 4].map(unitEpc) as [string, string, string, string];
/** At most 60 min in total above +8 °C. */
export const RULE = { kind: 'above' as const, thresholdC: 8, limitMs: 60 * MIN };
export const KEY = 'cumulative:LOT-1:above:8:3600000';

export interface CumHarness extends Harness {
  /** The cumulative rule, a lock rule of the harness's domain engine. */
  rule: CumulativeRuleLock;
  /**
   * Custody, excursions and cumulative locks brought up to date (no evaluation mark left); returns how
   * many units the cumulative rules were evaluated for.
   */
  settle(): Promise<number>;
}

/** The domain harness with the cumulative rule as a lock rule of its engine, as cloud.ts wires it. */
export async function openCumulative(ingestors = 1, rules: CumulativeRule[] = [RULE]): Promise<CumHarness> {
  const rule = new CumulativeRuleLock();
  const h = await openHarness({ ingestors, rules: [rule] });
  // Limits 2–12 °C: the rooms never have an excursion at 9–10 °C, only the product's rule sees it.
  for (const id of ['room-a', 'fridge', 'truck-1']) await location(h, id, { max_c: 12 });
  for (const gw of ['gw-room', 'gw-fridge', 'gw-truck']) await h.store.upsertGateway({ id: gw, now: T0 });
  await h.domain.upsertProduct(
    {
      gtin: GTIN,
      name: 'Oral polio vaccine',
      min_c: 2,
      max_c: 8,
      stability_budget_ms: 600 * MIN,
      cumulative_rules: serializeRules(rules),
    },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-1', gtin: GTIN, lot_number: 'A1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.upsertLot({ id: 'LOT-2', gtin: GTIN, lot_number: 'A2', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.commission('LOT-1', [U1, U2], 'admin', T0);
  await h.domain.commission('LOT-2', [U3, U4], 'admin', T0);
  return Object.assign(h, {
    rule,
    async settle() {
      const before = rule.stats.units;
      // Product changes and commissioning committed durable marks: the engine takes them up as a start would.
      await h.engine.recoverMarks();
      await evaluateAll(h);
      return rule.stats.units - before;
    },
  });
}

let seq = 0;
/** The next sequence number of the test's events. */
export const s = () => ++seq;
/** Sequence numbers start again (after each test). */
export function resetSeq(): void {
  seq = 0;
}

/** Readings every 10 min of one sensor: `hot` °C on [fromMin, toMin), 5 °C otherwise. */
export function series(
  gw: string,
  sensor: string,
  loc: string,
  startMin: number,
  endMin: number,
  hot: [number, number],
  tempC = 10,
): Ev[] {
  const out: Ev[] = [];
  for (let m = startMin; m <= endMin; m += 10)
    out.push(reading(gw, s(), sensor, loc, T0 + m * MIN, m >= hot[0] && m < hot[1] ? tempC : 5));
  return out;
}

/** The cumulative locks, in (EPC, rule key) order. */
export const cumulativeLocks = async (h: Harness) =>
  (
    await h.engine.db
      .selectFrom('locks')
      .selectAll()
      .where('cause', '=', 'cumulative')
      .orderBy('epc')
      .orderBy('rule_key')
      .execute()
  ).map((l) => ({
    epc: l.epc,
    key: lockSubject(l.cause, l.rule_key),
    state: l.state,
    from: l.exposed_from,
    location: l.location_id,
  }));
