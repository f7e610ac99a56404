import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Cluster, location, MIN, openCluster, reading, send, T0 } from '../domain/harness.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { GateRule } from './gate-rule.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// One cloud process with two locations' whole histories to evaluate (long windows, as a start recovers
// them): their chunks are evaluated at once, each in a derive transaction of its own (`LONG_WINDOW_LANES`,
// docs/architecture.md "Recovery"), and one after the other with one lane (as on SQLite).

const WAIT = { timeout: 20_000, interval: 20 };
const ROOMS = ['room-a', 'room-b'];

describe('long-window lanes (PostgreSQL): two locations’ long windows are evaluated at once', () => {
  let db: FreshPostgres;
  let c: Cluster;
  let gate: GateRule;

  /** Both rooms with readings, evaluated once; then both whole histories marked, every gate closed. */
  const open = async (longWindowLanes?: number) => {
    gate = new GateRule();
    c = await openCluster({ nodes: 1, url: db.url, rules: () => [gate], longWindowLanes });
    const n = c.nodes[0]!;
    let seq = 0;
    await n.store.upsertGateway({ id: 'gw1', now: T0 });
    for (const id of ROOMS) {
      await location(n, id);
      for (let k = 0; k < 3; k++)
        await send(n.ingestor, reading('gw1', ++seq, `s-${id}`, id, T0 + k * MIN, 5));
    }
    await n.engine.flush();
    expect(await pendingMarks()).toBe(0);
    gate.entered.length = 0;
    for (const id of ROOMS) gate.gate(id);
    // Whole histories: long windows, evaluated chunk by chunk; the lock rules are told by the last chunk.
    n.engine.markReadings(ROOMS);
    return n;
  };
  const pendingMarks = async () =>
    (await c.nodes[0]!.store.db.selectFrom('evaluation_marks').select('id').execute()).length;
  /** This database's sessions inside an open transaction, besides the asking one. */
  const openTransactions = async () => {
    const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()`.execute(
      c.nodes[0]!.store.db,
    );
    return Number(r.rows[0]!.n);
  };

  beforeEach(async () => {
    db = await freshPostgresUrl();
  });
  afterEach(async () => {
    gate.releaseAll();
    await c.close();
    await db.drop();
  });

  it('evaluates the last chunks of two long windows in two derive transactions open at once', async () => {
    const n = await open();
    const windows = n.engine.chunked.windows;
    const flushed = n.engine.flush();
    // Both held inside their own derive transactions at the same time.
    await vi.waitFor(() => expect([...gate.entered].sort()).toEqual(ROOMS), WAIT);
    await vi.waitFor(async () => expect(await openTransactions()).toBe(2), WAIT);
    gate.releaseAll();
    await flushed;
    await n.engine.flush();
    // Each window claimed and evaluated once, every mark deleted.
    expect([...gate.entered].sort()).toEqual(ROOMS);
    expect(await pendingMarks()).toBe(0);
    expect(n.engine.chunked.windows).toBe(windows + 2);
  });

  it('with one lane, the second long window waits for the first to commit', async () => {
    const n = await open(1);
    const flushed = n.engine.flush();
    await vi.waitFor(() => expect(gate.entered).toHaveLength(1), WAIT);
    // Precondition of the absence: the one open transaction is the held one, idle inside the gate.
    await vi.waitFor(async () => expect(await openTransactions()).toBe(1), WAIT);
    const first = gate.entered[0]!;
    expect(gate.entered).toEqual([first]);
    gate.releaseAll();
    await flushed;
    await n.engine.flush();
    expect([...gate.entered].sort()).toEqual(ROOMS);
    expect(await pendingMarks()).toBe(0);
  });
});
