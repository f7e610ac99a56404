import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { annaSigns, unitEpc } from './domain-fixtures.js';
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

const [U1, U2, U3] = [unitEpc(1), unitEpc(2), unitEpc(3)] as [string, string, string];

const sign = (excursionId: string, unit: string, decision: 'release' | 'reject' = 'release') =>
  annaSigns(h, { excursionId, epc: unit, decision, reason: 'reviewed the data' });

let h: Harness;
let seq = 0;
const s = () => ++seq;
/** Room A readings every 2 min from T0 to T0+60 min: `temps(minute)` °C. */
const room = (temps: (m: number) => number): Ev[] =>
  Array.from({ length: 31 }, (_, k) => reading('gw-a', s(), 's-1', 'room-a', T0 + 2 * k * MIN, temps(2 * k)));
const changeLimits = async (maxC: number, actor: string) => {
  const loc = (await h.store.getLocation('room-a'))!;
  await h.store.upsertLocation({ ...loc, max_c: maxC }, T0 + 120 * MIN, { actor });
  await evaluateAll(h);
};
const excursions = () => h.engine.db.selectFrom('excursions').selectAll().orderBy('start_ts').execute();
const locks = async () =>
  (await h.engine.db.selectFrom('locks').selectAll().orderBy('epc').execute()).map((l) => ({
    epc: l.epc,
    excursion: l.excursion_id,
    state: l.state,
    held: l.hold_reason !== null,
  }));
const actions = async () =>
  (await h.engine.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((a) => a.action);
const unlockEvents = () =>
  h.engine.db.selectFrom('outbox').select('id').where('event', '=', 'unlock').execute();

beforeEach(async () => {
  seq = 0;
  h = await openHarness();
  await location(h, 'room-a'); // 2–8 °C, alarm delay 10 min
  await h.store.upsertGateway({ id: 'gw-a', now: T0 });
});
afterEach(async () => {
  await h?.close();
});

/**
 * docs/architecture.md "Affected stock and locks": a master-data change (here a location's limits, as the
 * e-signed route or a start reconciling its mark applies it) re-evaluates history but never lifts a lock.
 */
describe('no master-data change lifts a lock', () => {
  it('widened limits withdraw the excursion, yet it is kept with its units locked (held) until a signed disposition', async () => {
    // 12 °C from +10 to +30 min: one excursion; U1 was in the room all along, U2 came in at +20.
    await sendAll(h, [
      pass('gw-a', s(), U1, 'dock', 'room-a', T0 - MIN),
      pass('gw-a', s(), U2, 'dock', 'room-a', T0 + 20 * MIN),
      ...room((m) => (m >= 10 && m < 30 ? 12 : 5)),
    ]);
    await evaluateAll(h);
    const [x] = await excursions();
    expect(x).toMatchObject({ state: 'closed', review_state: 'pending', version: 1 });
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'active', held: false },
      { epc: U2, excursion: x!.id, state: 'active', held: false },
    ]);

    await changeLimits(15, 'alice');
    // The recomputation no longer finds it, but the row stays (same id) as `withdrawn`, pending review.
    expect(await excursions()).toEqual([
      expect.objectContaining({ id: x!.id, state: 'withdrawn', review_state: 'pending', version: 2 }),
    ]);
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'active', held: true },
      { epc: U2, excursion: x!.id, state: 'active', held: true },
    ]);
    const held = await h.engine.db.selectFrom('locks').select('hold_reason').execute();
    for (const l of held) {
      expect(l.hold_reason).toContain('limits of location room-a changed by alice');
      expect(l.hold_reason).toContain('max_c 8 → 15');
      expect(l.hold_reason).toContain('only a signed disposition releases it');
    }
    const derived = await h.domain.listAudit({ afterSeq: 0 });
    const after = derived.filter((a) => a.reason.includes('changed by alice'));
    expect(after.map((a) => a.action)).toEqual(['excursion.withdrawn', 'lock.held', 'lock.held']);
    expect(after[0]!.reason).toMatch(/kept for review: 2 unit\(s\) it locked stay locked pending QA review/);
    expect(await actions()).not.toContain('lock.lifted');
    expect(await unlockEvents()).toEqual([]);

    // Later data: a late reading inside the old window and late movements re-evaluate, and leave it all as
    // it is. U3 came in during the old window (its custody overlaps it), yet a withdrawn excursion locks
    // nobody new; U1's late exit does not lift its held lock either.
    const n = (await actions()).length;
    await sendAll(h, [
      reading('gw-a', s(), 's-2', 'room-a', T0 + 21 * MIN, 5),
      pass('gw-a', s(), U3, 'dock', 'room-a', T0 + 15 * MIN),
      pass('gw-a', s(), U1, 'room-a', 'dock', T0 + 5 * MIN),
    ]);
    await evaluateAll(h);
    const custodyU3 = await h.engine.db.selectFrom('custody').selectAll().where('epc', '=', U3).execute();
    expect(custodyU3).toMatchObject([{ location_id: 'room-a', entered_at: T0 + 15 * MIN }]);
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'active', held: true },
      { epc: U2, excursion: x!.id, state: 'active', held: true },
    ]);
    expect((await actions()).slice(n).filter((a) => a !== 'custody.changed')).toEqual([]);

    // Only a signed disposition decides: U1 released, U2 rejected; then nothing is left to review.
    await sign(x!.id, U1);
    expect((await excursions())[0]).toMatchObject({ state: 'withdrawn', review_state: 'pending' });
    await sign(x!.id, U2, 'reject');
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'released', held: true },
      { epc: U2, excursion: x!.id, state: 'rejected', held: true },
    ]);
    expect((await excursions())[0]).toMatchObject({ state: 'withdrawn', review_state: 'decided' });
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });

  it('limits narrowed back reinstate the withdrawn excursion (same id) with its held locks', async () => {
    await sendAll(h, [
      pass('gw-a', s(), U1, 'dock', 'room-a', T0 - MIN),
      ...room((m) => (m >= 10 && m < 30 ? 12 : 5)),
    ]);
    await evaluateAll(h);
    const [x] = await excursions();
    await changeLimits(15, 'alice');
    expect((await excursions())[0]).toMatchObject({ id: x!.id, state: 'withdrawn' });
    await changeLimits(8, 'bob');
    expect(await excursions()).toEqual([
      expect.objectContaining({ id: x!.id, state: 'closed', version: 3, review_state: 'pending' }),
    ]);
    expect(await locks()).toEqual([{ epc: U1, excursion: x!.id, state: 'active', held: true }]);
    const reinstated = (await h.domain.listAudit({ entityType: 'excursion', entityId: x!.id })).at(-1)!;
    expect(reinstated).toMatchObject({ action: 'excursion.reinstated' });
    expect(reinstated.reason).toContain('changed by bob');
  });

  it('an excursion that only shrinks keeps the units it no longer covers locked (held), also against later data', async () => {
    // 12 °C from +10 to +20, 9 °C from +20 to +30: with 8 °C one excursion +10…+30; with 10 °C, +10…+20.
    await sendAll(h, [
      pass('gw-a', s(), U1, 'dock', 'room-a', T0 - MIN),
      pass('gw-a', s(), U2, 'dock', 'room-a', T0 + 24 * MIN),
      ...room((m) => (m >= 10 && m < 20 ? 12 : m >= 20 && m < 30 ? 9 : 5)),
    ]);
    await evaluateAll(h);
    const [x] = await excursions();
    expect(x).toMatchObject({ start_ts: T0 + 10 * MIN, end_ts: T0 + 30 * MIN });
    await changeLimits(10, 'alice');
    expect(await excursions()).toEqual([
      expect.objectContaining({ id: x!.id, state: 'closed', end_ts: T0 + 20 * MIN, review_state: 'pending' }),
    ]);
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'active', held: false },
      { epc: U2, excursion: x!.id, state: 'active', held: true },
    ]);
    // A late reading changes the excursion (new peak): its exposures are recomputed as late data, which
    // would lift an automatic lock no longer covered; U2's held lock stays.
    await sendAll(h, [reading('gw-a', s(), 's-1', 'room-a', T0 + 11 * MIN, 14)]);
    await evaluateAll(h);
    expect((await excursions())[0]).toMatchObject({ id: x!.id, peak_c: 14 });
    expect(await locks()).toEqual([
      { epc: U1, excursion: x!.id, state: 'active', held: false },
      { epc: U2, excursion: x!.id, state: 'active', held: true },
    ]);
    expect(await actions()).not.toContain('lock.lifted');
  });

  it('late data alone still withdraws an excursion and lifts its automatic locks (no master-data change)', async () => {
    // A late movement shows U1 had left at +5, before the excursion: today's rule, lifted and announced.
    await sendAll(h, [
      pass('gw-a', s(), U1, 'dock', 'room-a', T0 - MIN),
      ...room((m) => (m >= 10 && m < 30 ? 12 : 5)),
    ]);
    await evaluateAll(h);
    expect(await locks()).toMatchObject([{ epc: U1, state: 'active' }]);
    await sendAll(h, [pass('gw-a', s(), U1, 'room-a', 'dock', T0 + 5 * MIN)]);
    await evaluateAll(h);
    expect(await locks()).toMatchObject([{ epc: U1, state: 'lifted', held: false }]);
    expect(await unlockEvents()).toHaveLength(1);
  });
});
