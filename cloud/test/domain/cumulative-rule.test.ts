import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type CumulativeRule, serializeRules } from '../../src/domain/cumulative-rules.js';
import { lockSubject } from '../../src/domain/locks/lock-subject.js';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { SECOND_SIGNATURE_MEANING } from '../../src/domain/release-proposals.js';
import { CumulativeRule as CumulativeRuleLock } from '../../src/domain/rules/cumulative-rule.js';
import type { SignatureVerifier } from '../../src/domain/signature.js';
import { approveReleaseProposal, signDecision, signDisposition } from '../../src/engine/sign-disposition.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { JUSTIFICATION, releaseWithTwoSignatures } from '../helpers/two-person.js';
import { unitEpc } from './domain-fixtures.js';
import {
  type Ev,
  evaluateAll,
  type Harness,
  location,
  MIN,
  openHarness,
  pass,
  reading,
  sendAll,
  T0,
} from './harness.js';

const GTIN = '80614141123458';
const [U1, U2, U3, U4] = [1, 2, 3, 4].map(unitEpc) as [string, string, string, string];
/** At most 60 min in total above +8 °C. */
const RULE = { kind: 'above' as const, thresholdC: 8, limitMs: 60 * MIN };
const KEY = 'cumulative:LOT-1:above:8:3600000';

const verifier: SignatureVerifier = async (username, password) =>
  password !== 'correct horse'
    ? null
    : username === 'qa.anna'
      ? { userId: 'u-qa', username, printedName: 'Anna Quality', roles: ['qa'] }
      : username === 'qa.bruno'
        ? { userId: 'u-qa2', username, printedName: 'Bruno Prüfer', roles: ['qa'] }
        : null;
/** The second QA user of a two-person release. */
const BRUNO = { username: 'qa.bruno', password: 'correct horse', userId: 'u-qa2' };

interface CumHarness extends Harness {
  /** The cumulative rule, a lock rule of the harness's domain engine. */
  rule: CumulativeRuleLock;
  /**
   * Custody, excursions and cumulative locks brought up to date (no evaluation mark left); returns how
   * many units the cumulative rules were evaluated for.
   */
  settle(): Promise<number>;
}

/** The domain harness with the cumulative rule as a lock rule of its engine, as cloud.ts wires it. */
async function open(ingestors = 1, rules: CumulativeRule[] = [RULE]): Promise<CumHarness> {
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

let h: CumHarness;
let seq = 0;
const s = () => ++seq;
afterEach(async () => {
  await h?.close();
  seq = 0;
});

/** Readings every 10 min of one sensor: `hot` °C on [fromMin, toMin), 5 °C otherwise. */
function series(
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

const cumulativeLocks = async () =>
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

describe('cumulative rules (WHO PQS-style, docs/domain.md "Cumulative rules")', () => {
  it('spans locations (their evaluations serialise with every derive transaction) while any product has rules', async () => {
    h = await open(1, []);
    // Not known yet: taken as in use.
    expect(h.rule.spansLocations()).toBe(true);
    await h.settle();
    expect(h.rule.spansLocations()).toBe(false);
    await h.close();
    h = await open();
    await h.settle();
    expect(h.rule.spansLocations()).toBe(true);
  });

  it('late data that crosses the limit locks the unit, audited and sent as a lock event with its cause', async () => {
    h = await open();
    // U1 boards the truck at -30 min and goes into the fridge at 0; the fridge is at 10 °C from 0 to 50.
    await sendAll(h, [
      pass('gw-truck', s(), U1, 'room-a', 'truck-1', T0 - 30 * MIN),
      pass('gw-fridge', s(), U1, 'truck-1', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 50]),
    ]);
    expect(await h.settle()).toBeGreaterThan(0);
    let a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.cumulative).toEqual([
      expect.objectContaining({
        rule: RULE,
        key: KEY,
        exposedMs: 50 * MIN,
        limitMs: 60 * MIN,
        exceeded: false,
      }),
    ]);
    expect(await cumulativeLocks()).toEqual([]);
    expect(await listExcursions(h.domain.db)).toEqual([]); // the rooms' own limits (2–12 °C) held

    // The truck's readings arrive late: 9 °C from -30 to 0 adds 30 min. 30 + 30 in the fridge = 60 at +30.
    await sendAll(h, series('gw-truck', 'reefer-1', 'truck-1', -30, 0, [-30, 0], 9));
    await h.settle();
    expect(await cumulativeLocks()).toEqual([
      { epc: U1, key: KEY, state: 'active', from: T0 + 30 * MIN, location: 'fridge' },
    ]);
    a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.cumulative[0]).toMatchObject({
      exposedMs: 80 * MIN,
      exceeded: true,
      unitsExceeded: 1,
      lockedUnits: 1,
      reachedAt: T0 + 30 * MIN,
    });
    expect(a.units).toMatchObject({ total: 2, locked: 1 });
    const audit = await h.domain.listAudit({ entityType: 'lock' });
    expect(audit.find((x) => x.action === 'lock.created')?.reason).toMatch(
      /cumulative rule ≥ 1 h 00 min above \+8 °C of lot LOT-1 reached: limit reached at .* at fridge; 1 h 20 min above 8 °C in total/,
    );
    const events = await h.engine.db.selectFrom('outbox').selectAll().where('event', '=', 'lock').execute();
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.parse(events[0]!.payload)).toMatchObject({
      type: 'lock',
      cause: 'cumulative',
      excursionId: KEY,
      rule: RULE,
      units: [{ epc: U1, lotId: 'LOT-1' }],
    });
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });

  it('a late reading from before the unit entered counts from the moment it entered (it was holding then)', async () => {
    h = await open();
    // U2 enters the fridge at +25. The fridge reads 5 °C at 0 and 10 °C from 30 until 5 °C at 85: 55 min
    // above +8 °C; 60 min once the late reading of +20 (10 °C), holding when U2 entered, counts from +25.
    await sendAll(h, [
      pass('gw-fridge', s(), U2, 'room-a', 'fridge', T0 + 25 * MIN),
      reading('gw-fridge', s(), 'fridge-a', 'fridge', T0, 5),
      ...[30, 40, 50, 60, 70, 80].map((m) =>
        reading('gw-fridge', s(), 'fridge-a', 'fridge', T0 + m * MIN, 10),
      ),
      reading('gw-fridge', s(), 'fridge-a', 'fridge', T0 + 85 * MIN, 5),
    ]);
    expect(await h.settle()).toBeGreaterThan(0);
    expect(await cumulativeLocks()).toEqual([]);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-1'))!.cumulative[0]!.exposedMs).toBe(
      60 * MIN - 5 * MIN,
    );
    await sendAll(h, [reading('gw-fridge', s(), 'fridge-a', 'fridge', T0 + 20 * MIN, 10)]);
    await h.settle();
    expect(await cumulativeLocks()).toEqual([
      { epc: U2, key: KEY, state: 'active', from: T0 + 85 * MIN, location: 'fridge' },
    ]);
  });

  it('a late movement showing the unit left earlier lifts the lock when no QA decision touched it', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U1, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 90]),
      ...series('gw-room', 'room-a-1', 'room-a', 0, 120, [0, 0]),
    ]);
    await h.settle();
    expect((await cumulativeLocks()).map((l) => [l.state, l.from])).toEqual([['active', T0 + 60 * MIN]]);
    // Late: U1 was taken back to room A (5 °C) at +40: 40 min above +8 °C, under the limit.
    await sendAll(h, [pass('gw-room', s(), U1, 'fridge', 'room-a', T0 + 40 * MIN)]);
    await h.settle();
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['lifted']);
    const lifted = (await h.domain.listAudit({ entityType: 'lock' })).find((x) => x.action === 'lock.lifted');
    expect(lifted?.reason).toMatch(
      /late data shows .* spent 40 min above 8 °C: cumulative rule ≥ 1 h 00 min above \+8 °C not reached/,
    );
    const unlock = await h.engine.db.selectFrom('outbox').selectAll().where('event', '=', 'unlock').execute();
    expect(JSON.parse(unlock[0]!.payload)).toMatchObject({
      type: 'unlock',
      cause: 'cumulative',
      excursionId: KEY,
    });
    // The excursion machinery does not touch it: a custody rebuild of U1 leaves the cumulative rows alone.
    await h.engine.reconcileEpcs([U1]);
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['lifted']);
  });

  it('a rejection signed while a release awaits its second signature supersedes the proposal', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U1, 'room-a', 'fridge', T0),
      pass('gw-fridge', s(), U2, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
    ]);
    await h.settle();
    const anna = { username: 'qa.anna', password: 'correct horse', signedInUserId: 'u-qa' };
    const proposed = await signDecision(h.engine, verifier, {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'release',
      reason: 'VVM stage 1',
      justification: JUSTIFICATION,
      ...anna,
    });
    if (proposed.kind !== 'proposal') throw new Error('expected a proposal');
    const state = async () =>
      (
        await h.engine.db
          .selectFrom('release_proposals')
          .select('state')
          .where('id', '=', proposed.proposal.id)
          .executeTakeFirstOrThrow()
      ).state;
    // Precondition: the proposal awaits its second signature.
    expect(await state()).toBe('pending');
    const rejected = await signDisposition(h.engine, verifier, {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'reject',
      reason: 'stability data do not cover it',
      ...anna,
    });
    expect(await state()).toBe('superseded');
    const entry = (await h.domain.listAudit({ entityType: 'release-proposal' })).find(
      (a) => a.action === 'release.superseded',
    );
    expect(entry).toMatchObject({ entity_id: proposed.proposal.id, actor: 'qa.anna' });
    expect(entry!.reason).toContain(rejected.id);
    // The second signature can no longer release what was rejected.
    await expect(
      approveReleaseProposal(h.engine, verifier, {
        proposalId: proposed.proposal.id,
        username: BRUNO.username,
        password: BRUNO.password,
        signedInUserId: BRUNO.userId,
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['rejected', 'rejected']);
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });

  it('only a QA disposition (per lot, naming the rule key) releases it; the signed decision stands', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U1, 'room-a', 'fridge', T0),
      pass('gw-fridge', s(), U2, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
    ]);
    await h.settle();
    expect((await cumulativeLocks()).map((l) => [l.epc, l.state])).toEqual(
      [
        [U1, 'active'],
        [U2, 'active'],
      ].sort(),
    );
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: 'cumulative:LOT-1:above:8:999',
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'x',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-qa',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const release = {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'release' as const,
      reason: 'VVM stage 1, stability data cover 70 min above +8 °C',
      username: 'qa.anna',
      password: 'correct horse',
      signedInUserId: 'u-qa',
    };
    // A reached cumulative rule is released only by two QA users (domain/release-guard.ts).
    await expect(signDisposition(h.engine, verifier, release)).rejects.toMatchObject({
      code: 'second_signature_required',
    });
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['active', 'active']);
    const d = await releaseWithTwoSignatures(h.engine, verifier, release, BRUNO);
    expect(d).toMatchObject({ excursion_id: KEY, units: 2, decision: 'release' });
    // The release is the second signer's, with its own meaning, naming the first signature's manifest.
    const [proposal] = await h.engine.db.selectFrom('release_proposals').selectAll().execute();
    expect(proposal).toMatchObject({ state: 'approved', disposition_id: d.id, signer_id: 'u-qa' });
    expect(d).toMatchObject({ signer_id: 'u-qa2', meaning: SECOND_SIGNATURE_MEANING });
    expect(d.reason).toContain(`(manifest ${proposal!.manifest_hash})`);
    const actions = (
      await h.engine.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'release.%')
        .execute()
    ).map((a) => a.action);
    expect(actions).toEqual(['release.proposed', 'release.approved']);
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['released', 'released']);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-1'))!.units).toMatchObject({
      locked: 0,
      released: 2,
    });
    // More exposure later (and a recomputation) does not undo the signed decision.
    await sendAll(h, series('gw-fridge', 'fridge-a', 'fridge', 130, 200, [130, 200]));
    await h.settle();
    expect((await cumulativeLocks()).map((l) => l.state)).toEqual(['released', 'released']);
    const audit = await h.domain.listAudit({ entityType: 'cumulative-rule', entityId: KEY });
    expect(audit.map((x) => x.action)).toEqual(['disposition.release']);
  });

  it('a product rule change re-evaluates its lots: a raised limit holds undecided locks for QA (never lifts), a lowered one locks', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U3, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
      ...series('gw-room', 'room-a-1', 'room-a', 0, 120, [0, 0]),
    ]);
    await h.settle();
    const OLD = 'cumulative:LOT-2:above:8:3600000';
    const NEW = 'cumulative:LOT-2:above:8:1800000';
    const locks = async () =>
      (await h.engine.db.selectFrom('locks').selectAll().orderBy('rule_key').execute()).map((l) => [
        lockSubject(l.cause, l.rule_key),
        l.state,
        l.hold_reason !== null,
      ]);
    expect(await locks()).toEqual([[OLD, 'active', false]]);
    const product = { gtin: GTIN, name: 'OPV', min_c: 2, max_c: 8, stability_budget_ms: 600 * MIN };
    const rules = async (limitMs: number) => {
      await h.domain.upsertProduct(
        { ...product, cumulative_rules: serializeRules([{ ...RULE, limitMs }]) },
        'admin',
        T0,
      );
      h.engine.markProduct(GTIN);
      await h.settle();
    };
    // 70 min is under a 120 min limit, yet a specification change releases nothing: the lock is held.
    await rules(120 * MIN);
    expect(await locks()).toEqual([[OLD, 'active', true]]);
    const audit = await h.domain.listAudit({ entityType: 'lock' });
    expect(audit.map((a) => a.action)).toEqual(['lock.created', 'lock.held']);
    expect(audit[1]!.reason).toMatch(
      /product's rules changed.*would have removed the lock.*signed disposition/,
    );
    expect(
      await h.engine.db.selectFrom('outbox').select('id').where('event', '=', 'unlock').execute(),
    ).toEqual([]);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-2'))!.units).toMatchObject({ locked: 1 });
    // Back to 60 min, then late data shows U3 left the fridge at +40 (40 min above +8 °C, under the limit):
    // an automatic lock would be lifted (see above), a held one stays.
    await rules(60 * MIN);
    await sendAll(h, [pass('gw-room', s(), U3, 'fridge', 'room-a', T0 + 40 * MIN)]);
    await h.settle();
    expect(await locks()).toEqual([[OLD, 'active', true]]);
    // A lowered limit locks.
    await rules(30 * MIN);
    expect(await locks()).toEqual([
      [NEW, 'active', false],
      [OLD, 'active', true],
    ]);
    expect((await cumulativeLocks()).find((l) => l.key === NEW)?.from).toBe(T0 + 30 * MIN);
    // Only a signed disposition on the held lock's key releases it.
    const d = await releaseWithTwoSignatures(
      h.engine,
      verifier,
      {
        excursionId: OLD,
        lotId: 'LOT-2',
        decision: 'release',
        reason: 'the 60 min rule was entered by mistake; stability data cover 120 min',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-qa',
      },
      BRUNO,
    );
    expect(d).toMatchObject({ excursion_id: OLD, units: 1 });
    expect(await locks()).toEqual([
      [NEW, 'active', false],
      [OLD, 'released', true],
    ]);
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });
});

// Worlds for the confluence property: three locations, two sensors each, four units moving.
const LOCS = ['room-a', 'fridge', 'truck-1'] as const;
const UNITS = [U1, U2, U3, U4];
interface World {
  /** Per sensor (two per location), its readings' temperatures, one every 4 min. */
  temps: number[][];
  moves: Array<{ unit: number; to: number; at: number }>;
}

function worldEvents({ temps, moves }: World): Ev[] {
  const events: Ev[] = [];
  const seqs = new Map<string, number>();
  const next = (gw: string) => {
    const n = (seqs.get(gw) ?? 0) + 1;
    seqs.set(gw, n);
    return n;
  };
  temps.forEach((list, i) => {
    const loc = LOCS[Math.floor(i / 2)]!;
    list.forEach((t, k) => {
      events.push(
        reading(`gw-${loc}`, next(`gw-${loc}`), `s-${i}`, loc, T0 + k * 4 * MIN + (i % 2) * 90_000, t),
      );
    });
  });
  for (const u of UNITS) events.push(pass('gw-room-a', next('gw-room-a'), u, 'dock', 'room-a', T0 - MIN));
  for (const m of moves) {
    const to = LOCS[m.to]!;
    events.push(pass(`gw-${to}`, next(`gw-${to}`), UNITS[m.unit]!, 'dock', to, T0 + m.at * MIN + 11_000));
  }
  return events;
}

/** A random world. */
const world = fc
  .record({
    temps: fc.array(fc.array(fc.integer({ min: 3, max: 11 }), { minLength: 10, maxLength: 16 }), {
      minLength: 6,
      maxLength: 6,
    }),
    moves: fc.array(
      fc.record({
        unit: fc.integer({ min: 0, max: 3 }),
        to: fc.integer({ min: 0, max: 2 }),
        at: fc.integer({ min: 0, max: 50 }),
      }),
      { maxLength: 14 },
    ),
  })
  .map(worldEvents);

/**
 * A world that surely has both outcomes: room-a at 3 °C for an hour, where LOT-1 stays (over the
 * "below 4 °C for 15 min" rule: locked), while LOT-2 moves to the fridge (5 °C) at once (under both).
 */
const BOTH_OUTCOMES = worldEvents({
  temps: Array.from({ length: 6 }, (_, i) => Array.from({ length: 16 }, () => (i < 2 ? 3 : 5))),
  moves: [
    { unit: 2, to: 1, at: 0 },
    { unit: 3, to: 1, at: 0 },
  ],
});

async function derive(events: readonly Ev[], opts: { split?: readonly number[]; flushEvery?: number } = {}) {
  const c = await open(2, [RULE, { kind: 'below', thresholdC: 4, limitMs: 15 * MIN }]);
  try {
    for (const l of LOCS) await c.store.upsertGateway({ id: `gw-${l}`, now: T0 });
    for (let i = 0; i < events.length; i++) {
      await sendAll(c, [events[i]!], () => opts.split?.[i] ?? 0);
      if (opts.flushEvery && i % opts.flushEvery === 0) await c.settle();
    }
    await c.settle();
    const state = async () => ({
      locks: (await c.engine.db.selectFrom('locks').selectAll().where('cause', '=', 'cumulative').execute())
        .filter((l) => l.state !== 'lifted')
        .map(
          (l) => `${l.epc}|${lockSubject(l.cause, l.rule_key)}|${l.state}|${l.exposed_from}|${l.location_id}`,
        )
        .sort(),
      lots: [
        (await assessLot(lotReads(c.engine.db), 'LOT-1'))!.cumulative,
        (await assessLot(lotReads(c.engine.db), 'LOT-2'))!.cumulative,
      ],
    });
    const got = await state();
    // Nothing the marks missed: re-evaluating every unit from scratch changes nothing.
    c.engine.markProduct(GTIN);
    await c.settle();
    expect(await state()).toEqual(got);
    return got;
  } finally {
    await c.close();
  }
}

describe('cumulative rules are confluent (docs/architecture.md "Confluence")', () => {
  it('every arrival order, duplication, split across two ingestors and interleaved recomputation gives the same locks', async () => {
    let locked = 0;
    let notLocked = 0;
    await fc.assert(
      fc.asyncProperty(
        world.chain((events) =>
          fc.record({
            events: fc.constant(events),
            order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
              minLength: events.length,
              maxLength: events.length,
            }),
            dups: fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 10 }),
            split: fc.array(fc.integer({ min: 0, max: 1 }), {
              minLength: events.length + 10,
              maxLength: events.length + 10,
            }),
            flushEvery: fc.integer({ min: 1, max: 10 }),
          }),
        ),
        async ({ events, order, dups, split, flushEvery }) => {
          const reference = await derive(events);
          const shuffled = events
            .map((e, i) => ({ e, k: order[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          const variant = await derive([...shuffled, ...dups.map((i) => events[i]!)], { split, flushEvery });
          expect(variant).toEqual(reference);
          locked += reference.locks.length;
          notLocked += reference.lots.flat().filter((x) => !x.exceeded).length;
        },
      ),
      {
        numRuns: 10,
        endOnFailure: true,
        examples: [
          [
            {
              events: BOTH_OUTCOMES,
              order: BOTH_OUTCOMES.map((_, i) => ((i * 7919) % 101) / 101),
              dups: [0, BOTH_OUTCOMES.length - 1],
              split: Array.from({ length: BOTH_OUTCOMES.length + 10 }, (_, i) => i % 2),
              flushEvery: 3,
            },
          ],
        ],
      },
    );
    // Both outcomes were reached (surely: by the example), or the property proves little.
    expect(locked).toBeGreaterThan(0);
    expect(notLocked).toBeGreaterThan(0);
  }, 300_000);
});
