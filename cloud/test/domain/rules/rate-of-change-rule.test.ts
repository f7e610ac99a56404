import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgtin96Hex } from '@coldtrace/shared';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudConfigSchema } from '../../../src/config.js';
import {
  type RateOfChangeProfile,
  RateOfChangeRule,
  rateOfChangeConfigSchema,
  riseAlarms,
  riseSpans,
} from '../../../src/domain/rules/rate-of-change-rule.js';
import { type Cluster, type Ev, location, MIN, openCluster, pass, reading, send, T0 } from '../harness.js';

const PROFILE: RateOfChangeProfile = {
  locations: ['room-a'],
  maxRiseCPerMin: 0.3,
  windowMs: 10 * MIN,
  lock: true,
};
const instants = (temps: number[], stepMin = 2) =>
  temps.map((t, k) => ({ ts: T0 + k * stepMin * MIN, lo: t, hi: t }));

describe('rate of change: rise spans of one sensor', () => {
  it('finds a rise of more than rate × window within the window, from its lowest reading', () => {
    // 3 → 8 °C in 6 min: 5 °C > 0.3 °C/min × 10 min = 3 °C.
    expect(riseSpans(instants([3, 3, 4, 6, 8]), PROFILE)).toEqual([
      { from: T0 + 2 * MIN, to: T0 + 8 * MIN, riseC: 5 },
    ]);
  });

  it('ignores a rise of exactly the limit, a slow rise and one spread wider than the window', () => {
    expect(riseSpans(instants([3, 4, 5, 6]), PROFILE)).toEqual([]); // 3 °C in 6 min: not more than 3
    expect(riseSpans(instants([2, 2.4, 2.8, 3.2, 3.6, 4, 4.4, 4.8, 5.2, 5.6]), PROFILE)).toEqual([]); // 0.2/min
    expect(riseSpans(instants([3, 7], 15), PROFILE)).toEqual([]); // 4 °C, but 15 min apart
  });

  it('joins overlapping spans and keeps the largest rise', () => {
    const spans = riseSpans(instants([2, 6, 3, 8, 8]), PROFILE);
    expect(spans).toEqual([{ from: T0, to: T0 + 8 * MIN, riseC: 6 }]);
  });

  it('gives the same alarms whatever the order and duplication of the readings (property)', () => {
    const series = fc.array(fc.integer({ min: -2, max: 14 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(series, series, fc.array(fc.nat()), (a, b, picks) => {
        const readings = [
          ...a.map((t, k) => ({ sensorId: 's1', ts: T0 + k * 2 * MIN, tempC: t })),
          ...b.map((t, k) => ({ sensorId: 's2', ts: T0 + MIN + k * 3 * MIN, tempC: t })),
        ];
        const dups = picks.map((i) => readings[i % readings.length]!);
        const shuffled = [...readings, ...dups].sort((x, y) => ((x.ts * 7919 + y.ts) % 3) - 1);
        expect(riseAlarms('room-a', shuffled, PROFILE)).toEqual(riseAlarms('room-a', readings, PROFILE));
      }),
    );
  });

  it('validates its configuration with clear messages', () => {
    expect(rateOfChangeConfigSchema.safeParse([PROFILE]).success).toBe(true);
    const twice = rateOfChangeConfigSchema.safeParse([PROFILE, { ...PROFILE, lock: false }]);
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0]?.message).toBe('location room-a has two rate-of-change profiles');
    const bad = rateOfChangeConfigSchema.safeParse([{ ...PROFILE, maxRiseCPerMin: 0, windowMs: 1000 }]);
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      'maxRiseCPerMin must be > 0 °C per minute',
      'windowMs must be at least 1 minute',
    ]);
    expect(
      cloudConfigSchema.parse({ evaluation: { rateOfChange: [PROFILE] } }).evaluation.rateOfChange,
    ).toEqual([PROFILE]);
  });
});

const U1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const U2 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 2 });

/** room-a's sensor every 2 min: 4 °C, then 4 → 7.5 °C in 4 min (in range, but too fast), then 5 °C. */
function roomA(): Ev[] {
  const temps = [4, 4, 4, 4, 4, 5.5, 7.5, 6, 5, 5, 5];
  return temps.map((t, k) => reading('gw-a', k + 1, 's-1', 'room-a', T0 + k * 2 * MIN, t));
}

describe('rate of change: a lock rule of the domain engine', () => {
  let dir: string;
  const open: Cluster[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cluster(profiles: RateOfChangeProfile[]): Promise<Cluster> {
    const c = await openCluster({
      nodes: 1,
      url: `sqlite:${join(dir, 'cloud.db')}`,
      rules: () => [new RateOfChangeRule(profiles)],
    });
    open.push(c);
    return c;
  }

  async function setup(profiles: RateOfChangeProfile[]) {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-rate-'));
    const c = await cluster(profiles);
    const n = c.nodes[0]!;
    await location(n, 'room-a');
    await location(n, 'room-b');
    await n.store.upsertGateway({ id: 'gw-a', now: T0 });
    await n.store.upsertGateway({ id: 'gw-b', now: T0 });
    // U1 in room-a all along; U2 leaves for room-b at +9 min (late data may say otherwise).
    await send(n.ingestor, pass('gw-a', 100, U1, 'dock', 'room-a', T0 - MIN));
    await send(n.ingestor, pass('gw-a', 101, U2, 'dock', 'room-a', T0 - MIN));
    for (const e of roomA()) await send(n.ingestor, e);
    await n.engine.flush();
    return c;
  }

  const locksOf = (c: Cluster) =>
    c.nodes[0]!.store.db.selectFrom('locks')
      .selectAll()
      .where('cause', '=', 'rate_of_change')
      .orderBy('epc')
      .execute();
  const auditActions = async (c: Cluster) =>
    (
      await c.nodes[0]!.store.db.selectFrom('audit_log')
        .select(['action', 'entity_id'])
        .orderBy('seq')
        .execute()
    ).filter(
      (a) =>
        a.action.startsWith('rule_alarm') || (a.action.startsWith('lock.') && a.entity_id.includes('rate:')),
    );

  it('raises an alarm for a rise inside the limits, locks the units there, and sends the lock event', async () => {
    const c = await setup([PROFILE]);
    const alarms = await c.nodes[0]!.store.db.selectFrom('rule_alarms').selectAll().execute();
    expect(alarms.map((a) => [a.id, a.from_ts, a.to_ts])).toEqual([
      [`room-a@${new Date(T0 + 8 * MIN).toISOString()}`, T0 + 8 * MIN, T0 + 12 * MIN],
    ]);
    // No excursion: every reading is within 2..8 °C.
    expect(await c.nodes[0]!.store.db.selectFrom('excursions').selectAll().execute()).toEqual([]);
    const locks = await locksOf(c);
    // The lock names its rule and the alarm in their own columns; no excursion is involved.
    expect(
      locks.map((l) => [l.epc, l.cause, l.rule_key, l.excursion_id, l.state, l.exposed_from, l.exposed_to]),
    ).toEqual([
      [U1, 'rate_of_change', alarms[0]!.id, null, 'active', T0 + 8 * MIN, T0 + 12 * MIN],
      [U2, 'rate_of_change', alarms[0]!.id, null, 'active', T0 + 8 * MIN, T0 + 12 * MIN],
    ]);
    expect((await auditActions(c)).map((a) => a.action)).toEqual([
      'rule_alarm.raised',
      'lock.created',
      'lock.created',
    ]);
    const events = await c.nodes[0]!.store.db.selectFrom('outbox').select('payload').execute();
    const lockEvents = events.map((e) => JSON.parse(e.payload)).filter((p) => p.cause === 'rate_of_change');
    expect(lockEvents).toHaveLength(1);
    // Events and dispositions name it by its public id.
    expect(lockEvents[0]).toMatchObject({
      type: 'lock',
      excursionId: `rate:${alarms[0]!.id}`,
      locationId: 'room-a',
    });
    expect(lockEvents[0].units.map((u: { epc: string }) => u.epc).sort()).toEqual([U1, U2]);
  });

  it('lifts a unit late data shows was gone before the rise, and keeps the other', async () => {
    const c = await setup([PROFILE]);
    expect(await locksOf(c)).toHaveLength(2);
    const n = c.nodes[0]!;
    await send(n.ingestor, pass('gw-b', 1, U2, 'room-a', 'room-b', T0 + 5 * MIN)); // left at +5 min
    await n.engine.flush();
    const locks = await locksOf(c);
    expect(locks.map((l) => [l.epc, l.state])).toEqual([
      [U1, 'active'],
      [U2, 'lifted'],
    ]);
    expect(locks[1]!.reason).toContain('late data shows');
  });

  it('holds, never lifts, the locks when the profile stops locking (a specification change)', async () => {
    const c = await setup([PROFILE]);
    expect((await locksOf(c)).every((l) => l.state === 'active' && l.hold_reason === null)).toBe(true);
    await c.close();
    open.splice(0);
    // The cloud restarts with the profile changed to alarm only: at start it re-evaluates the location.
    const again = await cluster([{ ...PROFILE, lock: false }]);
    again.nodes[0]!.engine.markRuleLocations();
    await again.nodes[0]!.engine.flush();
    const locks = await locksOf(again);
    expect(locks.map((l) => l.state)).toEqual(['active', 'active']);
    expect(locks.every((l) => l.hold_reason?.includes('only a signed disposition releases it'))).toBe(true);
  });
});
