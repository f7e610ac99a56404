import { type ManualClock, manualClock, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import type { RecoveryProgress } from '../../src/engine/recovery-progress.js';
import { heartbeatNode, nodesDb } from '../../src/store/cloud-nodes.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { metricValue, scrapeMetrics } from '../helpers/metrics.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * A cloud starting on a store holding the evaluation marks of other nodes (0029, engine/mark-recovery.ts):
 * the dead nodes' marks are taken over before the start reads the marks, so they are the start's recovery
 * and the periodic sweep for dead nodes' marks does not take them (and mark their subjects dirty) again; a
 * live node's are never taken. Both clocks are manual: nothing is evaluated, and no sweep runs, until the
 * test says so.
 */
export interface DeadNodeStartStore {
  /** A database URL of an empty store, and how to remove it. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Several clouds on one store (PostgreSQL): two starting together. */
  shared?: boolean;
}

interface Logged {
  level: number;
  msg: string;
  deadNode?: string;
  marks?: number;
}

const unit = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const U = Array.from({ length: 40 }, (_, i) => unit(i + 1));
const HEARTBEAT_MS = 1_000;

export function runDeadNodeStart(name: string, store: DeadNodeStartStore): void {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  /** A store whose marks (one per unit, `owners[i]` owning `U[i]`) were left by other nodes. */
  async function seed(owners: readonly string[], rows: { stale?: string; live?: string }) {
    const db = await store.fresh();
    cleanups.push(() => db.drop());
    const s = new CloudStore(await openDatabase(db.url));
    cleanups.push(() => s.close());
    if (rows.stale) {
      await heartbeatNode(nodesDb(s.db), s.opened.dialect, rows.stale, HEARTBEAT_MS);
      // Its last beat a minute ago: 3 of its periods missed long since.
      await s.db
        .updateTable('cloud_nodes')
        .set({ heartbeat_at: sql`heartbeat_at - 60000` })
        .where('id', '=', rows.stale)
        .execute();
    }
    // A period of an hour: live throughout the test however slow the machine.
    if (rows.live) await heartbeatNode(nodesDb(s.db), s.opened.dialect, rows.live, 3_600_000);
    const now = Date.now();
    await s.db
      .insertInto('evaluation_marks')
      .values(
        owners.map((owner, i) => ({
          kind: 'epc',
          subject: U[i]!,
          from_ts: null,
          to_ts: null,
          cause: null,
          created_at: now,
          owner,
        })),
      )
      .execute();
    return { url: db.url, seeded: s };
  }

  async function start(url: string) {
    const logged: Logged[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const clock = manualClock(Date.now());
    const wall = manualClock(Date.now());
    const cloud: TestCloud = await startTestCloud(
      {
        database: url,
        mqtt: { embedded: { enabled: false } },
        evaluation: { debounceMs: 20, nodeHeartbeatMs: HEARTBEAT_MS },
      },
      { clock, wallClock: wall, log },
    );
    cleanups.push(() => cloud.stop());
    const metric = async (series: string) => metricValue(await scrapeMetrics(cloud), series) ?? 0;
    const readyz = async () => {
      const r = await cloud.app.inject({ url: '/readyz' });
      return {
        status: r.statusCode,
        body: JSON.parse(r.body) as { status: string; progress?: RecoveryProgress },
      };
    };
    const owners = async () =>
      Object.fromEntries(
        (await cloud.store.db.selectFrom('evaluation_marks').select(['subject', 'owner']).execute()).map(
          (m) => [U.indexOf(m.subject), m.owner === cloud.store.opened.nodeId ? 'self' : m.owner],
        ),
      );
    const tookOver = () =>
      logged
        .filter((l) => l.msg.startsWith('evaluation marks of'))
        .map((l) => [l.level, l.deadNode, l.marks]);
    return { cloud, clock, wall, metric, readyz, owners, tookOver };
  }

  /** One sweep for dead nodes' marks (every heartbeat period on the wall clock), finished. */
  async function sweepOnce(c: Awaited<ReturnType<typeof start>>, wall: ManualClock) {
    const before = await c.metric('coldtrace_evaluation_dead_node_sweeps_total');
    await wall.advanceAsync(HEARTBEAT_MS);
    await until(
      async () => (await c.metric('coldtrace_evaluation_dead_node_sweeps_total')) > before,
      'a sweep for dead nodes’ marks after the start',
    );
  }

  it(`${name}: a start takes over the marks of a node without a row and of one that stopped heartbeating, recovers them (/readyz), and the sweep after it takes none`, async () => {
    const { url, seeded } = await seed(['gone', 'gone', 'stale'], { stale: 'stale' });
    // The precondition: the marks are there, owned by the other nodes; the stale node has its row.
    expect(
      (
        await seeded.db
          .selectFrom('evaluation_marks')
          .select(['subject', 'owner'])
          .orderBy('subject')
          .execute()
      )
        .map((m) => m.owner)
        .sort(),
    ).toEqual(['gone', 'gone', 'stale']);
    expect((await seeded.db.selectFrom('cloud_nodes').select('id').execute()).map((n) => n.id)).toEqual([
      'stale',
    ]);

    const c = await start(url);
    // Taken over by the start before anything is evaluated (the data clock has not moved).
    expect(await c.owners()).toEqual({ 0: 'self', 1: 'self', 2: 'self' });
    expect(c.tookOver()).toEqual([
      [30, 'gone', 2],
      [40, 'stale', 1],
    ]);
    expect(await c.metric('coldtrace_evaluation_dead_node_marks_claimed_total')).toBe(3);
    expect(
      (await c.cloud.store.db.selectFrom('cloud_nodes').select('id').execute()).map((n) => n.id),
    ).toEqual([c.cloud.store.opened.nodeId]);
    // They are the start's recovery: /readyz waits for the three units.
    expect(await c.readyz()).toMatchObject({
      status: 503,
      body: { status: 'recovering', progress: { units: { done: 0, total: 3 } } },
    });

    // The sweep while the start's recovery is pending finds nothing to take (nor to mark dirty again).
    await sweepOnce(c, c.wall);
    expect(c.tookOver()).toHaveLength(2);
    expect(await c.metric('coldtrace_evaluation_dead_node_marks_claimed_total')).toBe(3);
    expect(await c.owners()).toEqual({ 0: 'self', 1: 'self', 2: 'self' });

    // Evaluated: the marks cleared, the cloud ready.
    await c.clock.advanceAsync(20);
    await c.cloud.evaluator.flush();
    await until(async () => (await c.readyz()).status === 200, 'the start’s recovery done');
    expect(await c.owners()).toEqual({});
  }, 60_000);

  it(`${name}: a start leaves a live node's marks its own, and so does the sweep after it`, async () => {
    const { url } = await seed(['live', 'live'], { live: 'live' });
    const c = await start(url);
    expect(await c.owners()).toEqual({ 0: 'live', 1: 'live' });
    expect(c.tookOver()).toEqual([]);
    expect(await c.metric('coldtrace_evaluation_dead_node_marks_claimed_total')).toBe(0);
    await sweepOnce(c, c.wall);
    expect(await c.owners()).toEqual({ 0: 'live', 1: 'live' });
    expect(c.tookOver()).toEqual([]);
    expect(
      (await c.cloud.store.db.selectFrom('cloud_nodes').select('id').orderBy('id').execute())
        .map((n) => n.id)
        .sort(),
    ).toEqual([c.cloud.store.opened.nodeId, 'live'].sort());
  }, 60_000);

  if (!store.shared) return;
  it(`${name}: two clouds starting together on the store each take some of a dead node's marks, none twice, none lost`, async () => {
    const { url, seeded } = await seed(
      U.map(() => 'gone'),
      {},
    );
    const [a, b] = await Promise.all([start(url), start(url)]);
    const ids = [a!.cloud.store.opened.nodeId, b!.cloud.store.opened.nodeId];
    const rows = await seeded.db.selectFrom('evaluation_marks').select(['subject', 'owner']).execute();
    // Every mark still there (nothing evaluated yet), each owned by one of the two.
    expect(rows.map((r) => r.subject).sort()).toEqual([...U].sort());
    for (const r of rows) expect(ids).toContain(r.owner);
    const claimed = await Promise.all(
      [a!, b!].map((c) => c.metric('coldtrace_evaluation_dead_node_marks_claimed_total')),
    );
    expect(claimed[0]! + claimed[1]!).toBe(U.length);
    expect(claimed).toEqual(ids.map((id) => rows.filter((r) => r.owner === id).length));
  }, 60_000);
}
