import { sql, type Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { lockDerivation } from '../../src/store/derive-lock.js';
import type { Database } from '../../src/store/schema.js';
import { type Cluster, location, MIN, openCluster, T0 } from '../domain/harness.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { GateRule } from './gate-rule.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// Two engines (two pools, as two cloud processes) on one fresh database: which derive transactions wait
// for each other (`store/derive-lock.ts`, docs/domain.md "Guarantees").

const WINDOW = { fromTs: T0, toTs: T0 + MIN };
const WAIT = { timeout: 20_000, interval: 20 };

/** Sessions of this database waiting on a lock (heavyweight: advisory and row locks). */
async function lockWaiters(store: CloudStore): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
  return Number(r.rows[0]!.n);
}

/** Tracks whether a promise settled (a negative assertion reads it after its precondition held). */
function tracked<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  const q = p.finally(() => {
    done = true;
  });
  return { p: q, settled: () => done };
}

/** A transaction of `store` that runs `body`, then stays open until released. */
function heldTransaction(store: CloudStore, body: (trx: Transaction<Database>) => Promise<unknown>) {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  let entered = false;
  const run = tracked(
    store.db.transaction().execute(async (trx) => {
      await body(trx);
      entered = true;
      await held;
    }),
  );
  return { run, release, entered: () => entered };
}

/** Whether a session can take the derive key's row `FOR UPDATE` / `FOR SHARE` now (NOWAIT, own transaction). */
async function canLock(store: CloudStore, mode: 'update' | 'share'): Promise<boolean> {
  try {
    await store.db
      .transaction()
      .execute((trx) =>
        mode === 'update'
          ? sql`select 1 from derive_locks where key = 'derive' for update nowait`.execute(trx)
          : sql`select 1 from derive_locks where key = 'derive' for share nowait`.execute(trx),
      );
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
    throw err;
  }
}

/** How the derive key (the `derive_locks` row) is held by other sessions now. */
async function deriveKeyMode(store: CloudStore): Promise<'none' | 'share' | 'exclusive'> {
  if (await canLock(store, 'update')) return 'none';
  return (await canLock(store, 'share')) ? 'share' : 'exclusive';
}

/** An earlier version's derive transaction's statement on the derive key (it upserts the row). */
const earlierDerive = (trx: Transaction<Database>) =>
  sql`insert into derive_locks (key, n) values ('derive', 1) on conflict (key) do update set n = derive_locks.n + 1`.execute(
    trx,
  );

describe('the derive key on a freshly migrated database, before any derive transaction (PostgreSQL)', () => {
  let db: FreshPostgres;
  let stores: CloudStore[];
  beforeEach(async () => {
    db = await freshPostgresUrl();
    stores = [new CloudStore(await openDatabase(db.url)), new CloudStore(await openDatabase(db.url))];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    await db.drop();
  });

  it("shared mode waits for an earlier version's exclusive holder, and holds it off", async () => {
    const [mine, theirs] = stores as [CloudStore, CloudStore];
    const old = heldTransaction(theirs, earlierDerive);
    let end: (() => void) | undefined;
    try {
      await vi.waitFor(() => expect(old.entered()).toBe(true), WAIT);
      const shared = heldTransaction(mine, (trx) => lockDerivation(trx, 'postgres', ['room-a']));
      end = shared.release;
      await vi.waitFor(
        async () => expect(shared.entered() || (await lockWaiters(mine)) > 0).toBe(true),
        WAIT,
      );
      expect(shared.entered()).toBe(false);
      old.release();
      await old.run.p;
      await vi.waitFor(() => expect(shared.entered()).toBe(true), WAIT);
      expect(await deriveKeyMode(mine)).toBe('share');
      const late = tracked(theirs.db.transaction().execute((trx) => earlierDerive(trx)));
      await vi.waitFor(async () => expect(late.settled() || (await lockWaiters(mine)) > 0).toBe(true), WAIT);
      expect(late.settled()).toBe(false);
      shared.release();
      await shared.run.p;
      await late.p;
    } finally {
      // A failed assertion's held transactions end, so the stores can close.
      old.release();
      end?.();
    }
  });
});

describe('derive transactions across processes (PostgreSQL): per location for readings', () => {
  let db: FreshPostgres;
  let c: Cluster;
  let rules: GateRule[];

  beforeEach(async () => {
    db = await freshPostgresUrl();
    rules = [];
    c = await openCluster({
      nodes: 2,
      url: db.url,
      rules: () => {
        const r = new GateRule();
        rules.push(r);
        return [r];
      },
    });
    // Each location's history evaluated once (the marks its creation left): later windows are short.
    for (const id of ['room-a', 'room-b', 'room-c']) {
      await location(c.nodes[0]!, id);
      await c.nodes[0]!.engine.reconcileLocation(id);
    }
    for (const r of rules) r.entered.length = 0;
  });
  afterEach(async () => {
    // A failed test's held transactions end, so the engines can close.
    for (const r of rules) r.releaseAll();
    await c.close();
    await db.drop();
  });

  const [a, b] = [0, 1];
  const evaluate = (node: number, id: string) => tracked(c.nodes[node]!.engine.reconcileLocation(id, WINDOW));
  /** Node `node` evaluating `id`, its transaction held open inside; returns the release. */
  const holdOpen = async (node: number, id: string) => {
    const release = rules[node]!.gate(id);
    const run = evaluate(node, id);
    await vi.waitFor(() => expect(rules[node]!.entered).toContain(id), WAIT);
    return { run, release };
  };

  it('another location commits while one is held open by the other process', async () => {
    const held = await holdOpen(a, 'room-a');
    const other = evaluate(b, 'room-b');
    // Done, or stuck behind the held transaction: whichever comes first.
    await vi.waitFor(
      async () => expect(other.settled() || (await lockWaiters(c.nodes[0]!.store)) > 0).toBe(true),
      WAIT,
    );
    expect(await lockWaiters(c.nodes[0]!.store)).toBe(0);
    await other.p;
    expect(rules[b]!.entered).toEqual(['room-b']);
    expect(held.run.settled()).toBe(false);
    held.release();
    await held.run.p;
  });

  it('the same location waits for the process evaluating it', async () => {
    const held = await holdOpen(a, 'room-a');
    const same = evaluate(b, 'room-a');
    await vi.waitFor(
      async () =>
        expect(rules[b]!.entered.length > 0 || (await lockWaiters(c.nodes[0]!.store)) > 0).toBe(true),
      WAIT,
    );
    expect(await lockWaiters(c.nodes[0]!.store)).toBe(1);
    expect(rules[b]!.entered).toEqual([]);
    expect(same.settled()).toBe(false);
    held.release();
    await held.run.p;
    await same.p;
    expect(rules[b]!.entered).toEqual(['room-a']);
  });

  it('a custody rebuild waits for a location evaluation (it may touch every location)', async () => {
    const held = await holdOpen(a, 'room-a');
    const rebuild = tracked(c.nodes[b]!.engine.reconcileEpcs(['urn:epc:test:1']));
    await vi.waitFor(
      async () => expect(rebuild.settled() || (await lockWaiters(c.nodes[0]!.store)) > 0).toBe(true),
      WAIT,
    );
    expect(rebuild.settled()).toBe(false);
    held.release();
    await held.run.p;
    await rebuild.p;
  });

  it('a location evaluation whose rules read other locations waits for any location', async () => {
    for (const r of rules) r.spans = true;
    const held = await holdOpen(a, 'room-a');
    const other = evaluate(b, 'room-b');
    await vi.waitFor(
      async () => expect(other.settled() || (await lockWaiters(c.nodes[0]!.store)) > 0).toBe(true),
      WAIT,
    );
    expect(other.settled()).toBe(false);
    expect(rules[b]!.entered).toEqual([]);
    held.release();
    await held.run.p;
    await other.p;
  });

  it('a location evaluation during which a rule learns that it spans locations is derived again under the exclusive lock', async () => {
    const store = c.nodes[0]!.store;
    const deriveKeyModes = async () => [await deriveKeyMode(store)];
    const seen: string[][] = [];
    rules[a]!.onApply = async () => {
      seen.push(await deriveKeyModes());
      // As the cumulative rule does when a product's rules appeared since its last look.
      rules[a]!.spans = true;
    };
    await evaluate(a, 'room-a').p;
    expect(seen).toEqual([['share'], ['exclusive']]);
    expect(rules[a]!.entered).toEqual(['room-a', 'room-a']);
  });

  it("an earlier version's derive transaction (its update of the derive_locks row) and a location's evaluation exclude each other", async () => {
    const store = c.nodes[b]!.store;
    // An earlier cloud's derive transaction, held open.
    const old = heldTransaction(store, earlierDerive);
    await vi.waitFor(() => expect(old.entered()).toBe(true), WAIT);
    const mine = evaluate(a, 'room-a');
    await vi.waitFor(async () => expect(mine.settled() || (await lockWaiters(store)) > 0).toBe(true), WAIT);
    expect(mine.settled()).toBe(false);
    expect(rules[a]!.entered).toEqual([]);
    old.release();
    await old.run.p;
    await mine.p;
    expect(rules[a]!.entered).toEqual(['room-a']);

    // And the reverse: a location's evaluation held open holds off the earlier version's transaction.
    const held = await holdOpen(a, 'room-b');
    expect(await deriveKeyMode(store)).toBe('share');
    const late = tracked(store.db.transaction().execute((trx) => earlierDerive(trx)));
    await vi.waitFor(async () => expect(late.settled() || (await lockWaiters(store)) > 0).toBe(true), WAIT);
    expect(late.settled()).toBe(false);
    held.release();
    await held.run.p;
    await late.p;
  });

  it("takes a group's location locks in one order whatever the group's order: opposite groups never deadlock", async () => {
    const store = c.nodes[0]!.store;
    const keys = await sql<{
      s: string;
      k: number;
    }>`select s, hashtext(s) as k from unnest(${['room-a', 'room-b']}::text[]) as s order by k`.execute(
      store.db,
    );
    const [lo, hi] = keys.rows.map((r) => r.s) as [string, string];
    const locksHeld = async () =>
      (
        await sql<{ objid: string; granted: boolean }>`select objid::text, granted from pg_locks
          where locktype = 'advisory' and objsubid = 2 and classid = ${0x0c7d_0de8}::oid
          and database = (select oid from pg_database where datname = current_database())`.execute(store.db)
      ).rows;
    const objid = async (s: string) =>
      (await sql<{ o: string }>`select (hashtext(${s})::bigint & 4294967295)::text as o`.execute(store.db))
        .rows[0]!.o;

    // A transaction holds `hi`; another asks for [hi, lo], in that order.
    const inTrx = (st: CloudStore, locations: string[], until: Promise<void>) =>
      tracked(
        st.db.transaction().execute(async (trx) => {
          await lockDerivation(trx, 'postgres', locations);
          await until;
        }),
      );
    let releaseFirst!: () => void;
    const first = inTrx(
      store,
      [hi],
      new Promise<void>((r) => {
        releaseFirst = r;
      }),
    );
    await vi.waitFor(async () => expect((await locksHeld()).filter((l) => l.granted)).toHaveLength(1), WAIT);
    const second = inTrx(c.nodes[1]!.store, [hi, lo], Promise.resolve());
    try {
      await vi.waitFor(async () => expect((await locksHeld()).some((l) => !l.granted)).toBe(true), WAIT);
      // The second took `lo` before waiting for `hi`: the lower key first, as every transaction does.
      const held = await locksHeld();
      expect(
        held
          .filter((l) => l.granted)
          .map((l) => l.objid)
          .sort(),
      ).toEqual([await objid(hi), await objid(lo)].sort());
      expect(held.filter((l) => !l.granted).map((l) => l.objid)).toEqual([await objid(hi)]);
    } finally {
      releaseFirst();
    }
    await first.p;
    await second.p;

    // Two engines evaluating the same locations in opposite orders, at once, many times: none aborts.
    for (let i = 0; i < 10; i++) {
      const ts = T0 + i * MIN;
      await Promise.all([
        c.nodes[a]!.engine.derive(async () => {}, ts, ['room-a', 'room-b', 'room-c']),
        c.nodes[b]!.engine.derive(async () => {}, ts, ['room-c', 'room-b', 'room-a']),
      ]);
    }
  });
});
