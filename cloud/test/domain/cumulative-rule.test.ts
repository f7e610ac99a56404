import { afterEach, describe, expect, it } from 'vitest';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import {
  type CumHarness,
  cumulativeLocks,
  KEY,
  openCumulative as open,
  RULE,
  resetSeq,
  s,
  series,
  U1,
  U2,
} from './cumulative-fixture.js';
import { MIN, pass, reading, sendAll, T0 } from './harness.js';

let h: CumHarness;
afterEach(async () => {
  await h?.close();
  resetSeq();
});

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
    expect(await cumulativeLocks(h)).toEqual([]);
    expect(await listExcursions(h.domain.db)).toEqual([]); // the rooms' own limits (2–12 °C) held

    // The truck's readings arrive late: 9 °C from -30 to 0 adds 30 min. 30 + 30 in the fridge = 60 at +30.
    await sendAll(h, series('gw-truck', 'reefer-1', 'truck-1', -30, 0, [-30, 0], 9));
    await h.settle();
    expect(await cumulativeLocks(h)).toEqual([
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
    expect(await cumulativeLocks(h)).toEqual([]);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-1'))!.cumulative[0]!.exposedMs).toBe(
      60 * MIN - 5 * MIN,
    );
    await sendAll(h, [reading('gw-fridge', s(), 'fridge-a', 'fridge', T0 + 20 * MIN, 10)]);
    await h.settle();
    expect(await cumulativeLocks(h)).toEqual([
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
    expect((await cumulativeLocks(h)).map((l) => [l.state, l.from])).toEqual([['active', T0 + 60 * MIN]]);
    // Late: U1 was taken back to room A (5 °C) at +40: 40 min above +8 °C, under the limit.
    await sendAll(h, [pass('gw-room', s(), U1, 'fridge', 'room-a', T0 + 40 * MIN)]);
    await h.settle();
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['lifted']);
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
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['lifted']);
  });
});
