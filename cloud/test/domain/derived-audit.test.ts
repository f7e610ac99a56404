import { sgtin96Hex } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import {
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

const U1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const U2 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 2 });

let h: Harness;
let seq = 0;
const r = (sensor: string, atMin: number, tempC: number) =>
  reading('gw-a', ++seq, sensor, 'room-a', T0 + atMin * MIN, tempC);
const entries = async (actions: string[]) =>
  (
    await h.engine.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', 'in', actions)
      .orderBy('seq')
      .execute()
  ).map((a) => ({
    actor: a.actor,
    action: a.action,
    entity: a.entity_id,
    before: a.before_json && JSON.parse(a.before_json),
    after: a.after_json && JSON.parse(a.after_json),
    reason: a.reason,
  }));

beforeEach(async () => {
  h = await openHarness();
  seq = 0;
  await location(h, 'room-a', { min_c: 2, max_c: 8, alarm_delay_ms: 10 * MIN, max_gap_ms: 30 * MIN });
  await h.store.upsertGateway({ id: 'gw-a', now: T0 });
});
afterEach(async () => {
  expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  await h.close();
});

/** docs/architecture.md "Audit trail": every derived state change, not only excursions and lock states. */
describe('derived changes on the audit trail', () => {
  it('monitoring gaps: recorded, and withdrawn when late data fills them', async () => {
    await sendAll(h, [r('s-1', 0, 5), r('s-1', 2, 5), r('s-1', 50, 5)]);
    await h.engine.flush();
    const gapId = `room-a|s-1|${new Date(T0 + 2 * MIN).toISOString()}`;
    expect(await entries(['monitoring_gap.recorded'])).toEqual([
      {
        actor: 'system',
        action: 'monitoring_gap.recorded',
        entity: gapId,
        before: null,
        after: { from: T0 + 2 * MIN, to: T0 + 50 * MIN },
        reason: 'readings received',
      },
    ]);
    await sendAll(h, [r('s-1', 25, 5)]); // late: no silence longer than 30 min any more
    await evaluateAll(h);
    expect(await h.store.listMonitoringGaps('room-a')).toEqual([]);
    expect((await entries(['monitoring_gap.withdrawn'])).map((e) => [e.entity, e.before])).toEqual([
      [gapId, { from: T0 + 2 * MIN, to: T0 + 50 * MIN }],
    ]);
  });

  it("a lock's exposure window: open while the excursion is ongoing, closed with it", async () => {
    await sendAll(h, [pass('gw-a', 1000, U1, 'dock', 'room-a', T0 - MIN), r('s-1', 0, 5)]);
    for (let m = 2; m <= 20; m += 2) await sendAll(h, [r('s-1', m, 12)]);
    await h.engine.flush();
    const [lock] = await h.domain.listLocks();
    expect(lock).toMatchObject({ epc: U1, state: 'active', exposed_to: null });
    await sendAll(h, [r('s-1', 22, 5)]);
    await h.engine.flush();
    expect(await entries(['lock.window_changed'])).toEqual([
      expect.objectContaining({
        actor: 'system',
        entity: `${U1}|${lock!.excursion_id}`,
        before: { state: 'active', from: T0 + 2 * MIN, to: null },
        after: { state: 'active', from: T0 + 2 * MIN, to: T0 + 22 * MIN },
      }),
    ]);
  });

  it('locks of a merged excursion: moved into the one kept, or merged with the lock already there', async () => {
    // s-1: out of range 0..20 and 40..60 min: two excursions. U1 is in the room throughout (locked by
    // both), U2 enters at 39 min (locked by the second only).
    const events = [
      pass('gw-a', 1000, U1, 'dock', 'room-a', T0 - MIN),
      pass('gw-a', 1001, U2, 'dock', 'room-a', T0 + 39 * MIN),
    ];
    for (let m = 0; m <= 62; m += 2) events.push(r('s-1', m, m <= 20 || (m >= 40 && m <= 60) ? 12 : 5));
    await sendAll(h, events);
    await h.engine.flush();
    const [first, second] = await listExcursions(h.domain.db, { locationId: 'room-a' });
    expect(second).toBeDefined();
    // Late: a second sensor out of range from 16 to 46 min bridges them: one excursion.
    for (let m = 14; m <= 48; m += 2) await sendAll(h, [r('s-2', m, m >= 16 && m <= 46 ? 11 : 5)]);
    await h.engine.flush();
    const after = await listExcursions(h.domain.db, { locationId: 'room-a' });
    expect(after.map((x) => x.id)).toEqual([first!.id]);
    const why = `late data joined excursion ${second!.id} to ${first!.id}`;
    const moved = await entries(['lock.moved', 'lock.merged', 'excursion.merged']);
    expect(moved.map((e) => [e.action, e.entity, e.reason])).toEqual([
      ['lock.merged', `${U1}|${second!.id}`, why],
      ['lock.moved', `${U2}|${second!.id}`, why],
      ['excursion.merged', second!.id, why],
    ]);
    expect(moved[1]!.after).toMatchObject({ excursionId: first!.id, state: 'active' });
    expect((await h.domain.listLocks()).map((l) => [l.epc, l.excursion_id, l.state]).sort()).toEqual(
      [
        [U1, first!.id, 'active'],
        [U2, first!.id, 'active'],
      ].sort(),
    );
  });
});
