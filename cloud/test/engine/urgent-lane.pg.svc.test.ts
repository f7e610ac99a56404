import { sgtin96Hex } from '@coldtrace/shared';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Cluster, location, MIN, openCluster, pass, reading, send, T0 } from '../domain/harness.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { GateRule } from './gate-rule.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// One cloud process: an urgent location is evaluated while the background transaction of another location
// in the same process is held open (`engine/urgent-lane.ts`, docs/performance.md "Derive locks per
// location"), and only after it without the lane (as on SQLite).

const WAIT = { timeout: 20_000, interval: 20 };
const UNIT = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7 });

describe('urgent lane (PostgreSQL): an urgent location does not wait for the background transaction', () => {
  let db: FreshPostgres;
  let c: Cluster;
  let gate: GateRule;
  let seq = 0;

  const open = async (urgentLane: boolean) => {
    gate = new GateRule();
    c = await openCluster({ nodes: 1, url: db.url, rules: () => [gate], urgentLane });
    const n = c.nodes[0]!;
    for (const id of ['room-a', 'room-b']) await location(n, id);
    await n.store.upsertGateway({ id: 'gw1', now: T0 });
    // The unit stays at room-b; both locations evaluated once (limits known: in-range readings are
    // background work from here).
    await send(n.ingestor, pass('gw1', ++seq, UNIT, 'dock', 'room-b', T0 - MIN));
    for (const id of ['room-a', 'room-b'])
      await send(n.ingestor, reading('gw1', ++seq, `s-${id}`, id, T0, 5));
    await n.engine.flush();
    expect(await pendingMarks()).toBe(0);
    gate.entered.length = 0;
    return n;
  };
  const pendingMarks = async (locationId?: string) => {
    let q = c.nodes[0]!.store.db.selectFrom('evaluation_marks').select('id');
    if (locationId) q = q.where('kind', '=', 'location').where('subject', '=', locationId);
    return (await q.execute()).length;
  };
  const unitLocks = async () =>
    (await c.nodes[0]!.store.db.selectFrom('locks').select(['epc', 'state']).execute()).filter(
      (l) => l.epc === UNIT,
    );
  /**
   * room-a's background evaluation held open inside its derive transaction, then a critical reading at
   * room-b committed and its zero-delay (urgent) timer fired. Returns the release and the background flush.
   */
  const backgroundHeldThenUrgent = async (n: Cluster['nodes'][number]) => {
    const release = gate.gate('room-a');
    await send(n.ingestor, reading('gw1', ++seq, 's-room-a', 'room-a', T0 + MIN, 5));
    let settled = false;
    const background = n.engine.flush().finally(() => {
      settled = true;
    });
    await vi.waitFor(() => expect(gate.entered).toEqual(['room-a']), WAIT);
    await send(n.ingestor, reading('gw1', ++seq, 's-room-b', 'room-b', T0 + MIN, 20));
    expect(c.clock.nextDueAt()).toBe(c.clock.now());
    await c.clock.advanceAsync(0);
    return { release, background, settled: () => settled };
  };

  beforeEach(async () => {
    seq = 0;
    db = await freshPostgresUrl();
  });
  afterEach(async () => {
    gate.releaseAll();
    await c.close();
    await db.drop();
  });

  it("locks the urgent location's unit while the background transaction of another location is open", async () => {
    const n = await open(true);
    expect(await unitLocks()).toEqual([]);
    const held = await backgroundHeldThenUrgent(n);
    await vi.waitFor(async () => expect(await unitLocks()).toEqual([{ epc: UNIT, state: 'active' }]), WAIT);
    // room-a's transaction is still open: its mark is unclaimed to every other session, its flush pending.
    expect(await pendingMarks('room-a')).toBe(1);
    expect(held.settled()).toBe(false);
    expect(gate.entered).toEqual(['room-a', 'room-b']);
    expect(n.engine.urgentLane.stats.evaluations).toBe(1);
    held.release();
    await held.background;
    await n.engine.flush();
    expect(await pendingMarks()).toBe(0);
    // Each location evaluated once: neither lane claimed the other's window.
    expect(gate.entered).toEqual(['room-a', 'room-b']);
  });

  it('without the lane, the urgent location waits for the background transaction to commit', async () => {
    const n = await open(false);
    const held = await backgroundHeldThenUrgent(n);
    // Precondition of the absence: the engine has nothing else under way in the database (only
    // room-a's transaction, idle inside the gate).
    await vi.waitFor(async () => {
      const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
        where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`.execute(
        n.store.db,
      );
      expect(Number(r.rows[0]!.n)).toBe(0);
    }, WAIT);
    expect(await unitLocks()).toEqual([]);
    expect(gate.entered).toEqual(['room-a']);
    expect(n.engine.urgentLane.stats.evaluations).toBe(0);
    held.release();
    await held.background;
    await vi.waitFor(async () => expect(await unitLocks()).toEqual([{ epc: UNIT, state: 'active' }]), WAIT);
    expect(gate.entered).toEqual(['room-a', 'room-b']);
  });
});
