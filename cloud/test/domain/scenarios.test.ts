import { manualClock } from '@coldtrace/shared';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignatureVerifier } from '../../src/domain/signature.js';
import { signDisposition } from '../../src/engine/sign-disposition.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
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
const [U1, U2, U3] = [unitEpc(1), unitEpc(2), unitEpc(3)];

/** An in-test e-signature check: one QA user and one viewer. */
const verifier: SignatureVerifier = async (username, password) => {
  if (username === 'qa.anna' && password === 'correct horse') {
    return { userId: 'u-qa', username, printedName: 'Anna Quality', roles: ['qa'] };
  }
  if (username === 'viewer.victor' && password === 'pw-viewer') {
    return { userId: 'u-v', username, printedName: 'Victor Viewer', roles: ['viewer'] };
  }
  return null;
};

let h: Harness;
let seq = 0;
const gwSeq = () => ++seq;
/** Truck readings every 5 min from T0 to T0+3h: out of range (12 °C) between `fromMin` and `toMin`. */
function truckReadings(fromMin: number, toMin: number, endMin = 180): Ev[] {
  const out: Ev[] = [];
  for (let m = 0; m <= endMin; m += 5) {
    out.push(
      reading('gw-truck', gwSeq(), 'reefer-1', 'truck-1', T0 + m * MIN, m >= fromMin && m < toMin ? 12 : 5),
    );
  }
  return out;
}

beforeEach(async () => {
  seq = 0;
  h = await openHarness();
  for (const id of ['room-a', 'truck-1', 'store-1']) await location(h, id);
  for (const gw of ['gw-room', 'gw-truck', 'gw-store']) await h.store.upsertGateway({ id: gw, now: T0 });
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 60 * MIN },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-1', gtin: GTIN, lot_number: 'A1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.commission('LOT-1', [U1, U2, U3], 'admin', T0);
});
afterEach(() => h.close());

const locksOf = (e: string) => h.domain.listLocks({ epc: e });
const activeLocks = async () => (await h.domain.listLocks({ state: 'active' })).map((l) => l.epc).sort();

describe('scenarios (docs/architecture.md "Affected stock and locks", "Disposition")', () => {
  it('an excursion revealed three hours late locks the units that were on the truck, though they are now in a store', async () => {
    // Units load onto the truck at +10 min and arrive at the store at +185 min; the truck's uplink was down.
    await sendAll(h, [
      pass('gw-room', gwSeq(), U1, 'room-a', 'truck-1', T0 + 10 * MIN),
      pass('gw-room', gwSeq(), U2, 'room-a', 'truck-1', T0 + 10 * MIN),
      pass('gw-store', gwSeq(), U1, 'truck-1', 'store-1', T0 + 185 * MIN),
      pass('gw-store', gwSeq(), U2, 'truck-1', 'store-1', T0 + 185 * MIN),
    ]);
    await evaluateAll(h);
    expect((await h.domain.epcView(U1))!.location).toBe('store-1'); // the movements were evaluated
    expect(await activeLocks()).toEqual([]);
    // Three hours later the truck replays its buffer: the reefer was at 12 °C for 40 minutes.
    await sendAll(h, truckReadings(60, 100));
    await h.engine.flush();
    const [x] = await listExcursions(h.domain.db, { locationId: 'truck-1' });
    expect(x).toMatchObject({ start_ts: T0 + 60 * MIN, end_ts: T0 + 100 * MIN, max_c: 12 });
    expect(await activeLocks()).toEqual([U1, U2].sort());
    expect((await h.domain.epcView(U1))!.location).toBe('store-1');
    expect((await locksOf(U3)).length).toBe(0); // never on the truck
    const events = await h.engine.db.selectFrom('outbox').selectAll().where('event', '=', 'lock').execute();
    expect(events.length).toBeGreaterThan(0);
  });

  it('a late movement showing a unit left before the excursion unlocks it, and the audit trail says why', async () => {
    await sendAll(h, [
      pass('gw-room', gwSeq(), U1, 'room-a', 'truck-1', T0 + 10 * MIN),
      pass('gw-room', gwSeq(), U2, 'room-a', 'truck-1', T0 + 10 * MIN),
      ...truckReadings(60, 100),
    ]);
    await h.engine.flush();
    expect(await activeLocks()).toEqual([U1, U2].sort());
    // Late: U2 was unloaded back at the room at +30 min, before the excursion began.
    await sendAll(h, [pass('gw-truck', gwSeq(), U2, 'truck-1', 'room-a', T0 + 30 * MIN)]);
    await h.engine.flush();
    expect(await activeLocks()).toEqual([U1]);
    const [lifted] = await locksOf(U2);
    expect(lifted!.state).toBe('lifted');
    const audit = await h.domain.listAudit({ entityType: 'lock' });
    const entry = audit.find((a) => a.action === 'lock.lifted' && a.entity_id.startsWith(U2));
    expect(entry?.reason).toMatch(/late data shows .* was not at truck-1/);
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
    expect(
      await h.engine.db.selectFrom('outbox').select('id').where('event', '=', 'unlock').execute(),
    ).toHaveLength(1);
  });

  it('units entering a room during an ongoing excursion are locked', async () => {
    await sendAll(h, truckReadings(60, 1000, 120)); // still out of range at the last reading: ongoing
    await h.engine.flush();
    const [x] = await listExcursions(h.domain.db, { locationId: 'truck-1' });
    expect(x!.end_ts).toBeNull();
    await sendAll(h, [pass('gw-room', gwSeq(), U3, 'room-a', 'truck-1', T0 + 150 * MIN)]);
    await h.engine.flush();
    expect(await activeLocks()).toEqual([U3]);
  });

  it('a QA release followed by late data that lengthens the excursion sends it back to review without undoing the decision', async () => {
    await sendAll(h, [
      pass('gw-room', gwSeq(), U1, 'room-a', 'truck-1', T0 + 10 * MIN),
      ...truckReadings(60, 80, 90),
    ]);
    await h.engine.flush();
    const [x] = await listExcursions(h.domain.db);
    expect(await activeLocks()).toEqual([U1]);
    // Wrong password and a non-QA signer are refused.
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: x!.id,
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'ok',
        username: 'qa.anna',
        password: 'nope',
        signedInUserId: 'u-qa',
      }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: x!.id,
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'ok',
        username: 'viewer.victor',
        password: 'pw-viewer',
        signedInUserId: 'u-v',
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    // Anna's valid credentials, but Victor is the one signed in: a signature is used only by its owner.
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: x!.id,
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'ok',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-v',
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: x!.id,
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'ok',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: null,
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    // The signing is stamped by the wall clock, a day after the data's time here.
    const wall = manualClock(T0 + 24 * 60 * MIN);
    const d = await signDisposition(
      h.engine,
      verifier,
      {
        excursionId: x!.id,
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'within stability budget',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-qa',
      },
      wall,
    );
    // The signed decision is not overwritten while the excursion is unchanged.
    const again = {
      excursionId: x!.id,
      lotId: 'LOT-1',
      decision: 'reject' as const,
      reason: 'changed my mind',
      username: 'qa.anna',
      password: 'correct horse',
      signedInUserId: 'u-qa',
    };
    await expect(signDisposition(h.engine, verifier, again)).rejects.toMatchObject({ code: 'conflict' });
    expect(d).toMatchObject({
      printed_name: 'Anna Quality',
      decision: 'release',
      units: 1,
      signed_at: wall.now(),
    });
    expect(d.meaning).toMatch(/^Release:/);
    expect((await h.domain.getExcursion(x!.id))!.review_state).toBe('decided');
    expect(await activeLocks()).toEqual([]);

    // Late readings of a second reefer sensor: the air stayed warm until +100 min.
    await sendAll(h, [
      reading('gw-truck', gwSeq(), 'reefer-2', 'truck-1', T0 + 70 * MIN, 11),
      reading('gw-truck', gwSeq(), 'reefer-2', 'truck-1', T0 + 95 * MIN, 11),
      reading('gw-truck', gwSeq(), 'reefer-2', 'truck-1', T0 + 100 * MIN, 5),
    ]);
    await h.engine.flush();
    const after = (await h.domain.getExcursion(x!.id))!;
    expect(after.id).toBe(x!.id); // identity kept
    expect(after.end_ts).toBe(T0 + 100 * MIN);
    expect(after.review_state).toBe('pending');
    expect(after.version).toBeGreaterThan(x!.version);
    const [lock] = await locksOf(U1);
    expect(lock).toMatchObject({ state: 'released', disposition_id: d.id }); // the signed decision stands
    expect(await h.domain.listDispositions({ excursionId: x!.id })).toHaveLength(1);
    // The excursion changed since the release: QA may decide again on the new version, as a new record.
    const d2 = await signDisposition(h.engine, verifier, again);
    expect(d2).toMatchObject({ decision: 'reject', excursion_version: after.version, units: 1 });
    expect((await locksOf(U1))[0]).toMatchObject({ state: 'rejected', disposition_id: d2.id });
    expect(await h.domain.listDispositions({ excursionId: x!.id })).toHaveLength(2);
    await expect(signDisposition(h.engine, verifier, again)).rejects.toMatchObject({ code: 'conflict' });
    const actions = (await h.domain.listAudit({ entityType: 'excursion', entityId: x!.id })).map(
      (a) => a.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'excursion.opened',
        'disposition.release',
        'excursion.decided',
        'excursion.extended',
        'excursion.review_reopened',
      ]),
    );
  });

  it('late data merging two excursions keeps the oldest id and records the merge', async () => {
    await sendAll(h, truckReadings(20, 40, 120));
    await h.engine.flush();
    const first = (await listExcursions(h.domain.db))[0]!;
    h.clock.set(T0 + 1000);
    await sendAll(h, [
      reading('gw-truck', gwSeq(), 'reefer-9', 'truck-1', T0 + 50 * MIN, 13),
      reading('gw-truck', gwSeq(), 'reefer-9', 'truck-1', T0 + 65 * MIN, 13),
      reading('gw-truck', gwSeq(), 'reefer-9', 'truck-1', T0 + 70 * MIN, 5),
    ]);
    await h.engine.flush();
    expect((await listExcursions(h.domain.db)).map((e) => e.id)).toEqual([first.id, expect.any(String)]);
    // A third sensor bridges them: one excursion, the oldest id.
    await sendAll(h, [
      reading('gw-truck', gwSeq(), 'reefer-8', 'truck-1', T0 + 35 * MIN, 12),
      reading('gw-truck', gwSeq(), 'reefer-8', 'truck-1', T0 + 55 * MIN, 12),
      reading('gw-truck', gwSeq(), 'reefer-8', 'truck-1', T0 + 60 * MIN, 6),
    ]);
    await h.engine.flush();
    const all = await listExcursions(h.domain.db);
    expect(all.map((e) => e.id)).toEqual([first.id]);
    expect(all[0]!.end_ts).toBe(T0 + 70 * MIN);
    expect(
      (await h.domain.listAudit({ entityType: 'excursion' })).some((a) => a.action === 'excursion.merged'),
    ).toBe(true);
  });

  it('the lot view shows locked/total and time outside the product tolerance against its budget', async () => {
    const { assessLot } = await import('../../src/domain/lot-assessment.js');
    await sendAll(h, [pass('gw-room', gwSeq(), U1, 'room-a', 'truck-1', T0), ...truckReadings(60, 100)]);
    await h.engine.flush();
    const a = (await assessLot(lotReads(h.engine.db), 'LOT-1'))!;
    expect(a.units).toEqual({ total: 3, locked: 1, released: 0, rejected: 0 });
    expect(a.timeOutsideMs).toBe(40 * MIN);
    expect(a.withinBudget).toBe(true);
    expect(a.mktC).toBeGreaterThan(11);
  });
});

describe('audit trail verification (docs/architecture.md "Audit trail")', () => {
  async function seeded() {
    await sendAll(h, [pass('gw-room', gwSeq(), U1, 'room-a', 'truck-1', T0), ...truckReadings(60, 100)]);
    await h.engine.flush();
    const n = (await h.domain.listAudit()).length;
    expect(n).toBeGreaterThan(5);
    expect(await verifyAuditTrail(h.engine.db)).toMatchObject({ ok: true, entries: n });
  }

  it('finds a changed entry', async () => {
    await seeded();
    await sql`UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3`.execute(h.engine.db);
    expect((await verifyAuditTrail(h.engine.db)).firstBroken).toMatchObject({ seq: 3, problem: 'changed' });
  });

  it('finds a deleted entry (also the newest one)', async () => {
    await seeded();
    await sql`DELETE FROM audit_log WHERE seq = 4`.execute(h.engine.db);
    expect((await verifyAuditTrail(h.engine.db)).firstBroken).toMatchObject({ seq: 4, problem: 'missing' });
  });

  it('finds the removal of the newest entry', async () => {
    await seeded();
    const last = (await h.domain.listAudit()).at(-1)!.seq;
    await sql`DELETE FROM audit_log WHERE seq = ${last}`.execute(h.engine.db);
    expect((await verifyAuditTrail(h.engine.db)).firstBroken).toMatchObject({
      seq: last,
      problem: 'missing',
    });
  });

  it('finds swapped entries', async () => {
    await seeded();
    await sql`UPDATE audit_log SET seq = -1 WHERE seq = 2`.execute(h.engine.db);
    await sql`UPDATE audit_log SET seq = 2 WHERE seq = 5`.execute(h.engine.db);
    await sql`UPDATE audit_log SET seq = 5 WHERE seq = -1`.execute(h.engine.db);
    expect((await verifyAuditTrail(h.engine.db)).firstBroken).toMatchObject({ seq: 2, problem: 'reordered' });
  });
});
