import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDeadNodeMarks, heartbeatNode, nodesDb } from '../../src/store/cloud-nodes.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { insertMarks, marksDb } from '../../src/store/evaluation-marks.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/schema.js';
import { type Ev, MIN, pass, reading, T0 } from '../domain/harness.js';
import { metricValue, scrapeMetrics } from '../helpers/metrics.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh). Issue 17: a cloud that dies after committing
// readings but before evaluating them leaves evaluation marks; the other clouds on the database take them
// over once its heartbeat is 3 periods old (migration 0029, domain/node-liveness.ts), not minutes later.

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = join(import.meta.dirname, 'dead-node-child.ts');
const U1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
/** The killed cloud's heartbeat period: the survivor takes its marks 3 periods after its last beat. */
const CHILD_HEARTBEAT_MS = 2_000;
const SURVIVOR_HEARTBEAT_MS = 250;

/** A sensor in room-a every 2 min for 40 min: 12 °C from +10 to +30 min (out of 2..8 °C for 20 min). */
function roomReadings(firstSeq: number): Ev[] {
  return Array.from({ length: 21 }, (_, k) =>
    reading('gw-a', firstSeq + k, 's-1', 'room-a', T0 + k * 2 * MIN, k >= 5 && k < 15 ? 12 : 5),
  );
}

describe('evaluation marks of a dead cloud node on PostgreSQL (0029)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  async function freshDb(): Promise<FreshPostgres> {
    const db = await freshPostgresUrl();
    cleanups.push(() => db.drop());
    return db;
  }
  async function open(url: string): Promise<CloudStore> {
    const s = new CloudStore(await openDatabase(url));
    cleanups.push(() => s.close());
    return s;
  }

  it('marks from before 0029 keep a null owner (the age-based sweep); later ones name the connection’s node', async () => {
    const db = await freshDb();
    // A connection that names its node, as db.ts opens them, runs the migration itself.
    const k = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: db.url, max: 1 }),
        onCreateConnection: async (c) => {
          await c.executeQuery(
            CompiledQuery.raw("SELECT set_config('coldtrace.node_id', 'migrator', false)"),
          );
        },
      }),
    });
    cleanups.push(() => k.destroy());
    await migrateTo(k as Kysely<unknown>, 'postgres', '0028-hibc-links');
    await sql`INSERT INTO evaluation_marks (kind, subject, from_ts, to_ts, cause, created_at)
      VALUES ('epc', 'before', NULL, NULL, NULL, ${T0})`.execute(k);
    await migrateToLatest(k as Kysely<unknown>, 'postgres');
    await insertMarks(marksDb(k), 'epc', ['after'], null, T0);
    expect(
      await k.selectFrom('evaluation_marks').select(['subject', 'owner']).orderBy('subject').execute(),
    ).toEqual([
      { subject: 'after', owner: 'migrator' },
      { subject: 'before', owner: null },
    ]);
  }, 60_000);

  it("a mark names its writer; a live owner's marks are never taken, a dead one's by one taker each", async () => {
    const db = await freshDb();
    const [a, b, c] = [await open(db.url), await open(db.url), await open(db.url)];
    expect(new Set([a, b, c].map((s) => s.opened.nodeId)).size).toBe(3);
    const A = a.opened.nodeId;
    await heartbeatNode(nodesDb(a.db), 'postgres', A, 1_000);
    // Two nodes without marks: D will die, E lives on.
    await heartbeatNode(nodesDb(a.db), 'postgres', 'node-d', 1_000);
    await heartbeatNode(nodesDb(a.db), 'postgres', 'node-e', 60_000);
    // Written without naming an owner: the connection's node is stamped (db.ts, 0029).
    await insertMarks(marksDb(a.db), 'epc', ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'], null, T0);
    // A mark from before 0029 (no owner): left to the age-based sweep.
    await a.db
      .insertInto('evaluation_marks')
      .values({
        kind: 'epc',
        subject: 'e0',
        from_ts: null,
        to_ts: null,
        cause: null,
        created_at: T0,
        owner: null,
      })
      .execute();
    const owners = async () =>
      (
        await a.db.selectFrom('evaluation_marks').select(['subject', 'owner']).orderBy('subject').execute()
      ).map((m) => `${m.subject}:${m.owner === A ? 'A' : m.owner === null ? '-' : 'other'}`);
    expect(await owners()).toEqual(['e0:-', 'e1:A', 'e2:A', 'e3:A', 'e4:A', 'e5:A', 'e6:A']);

    // A beats: neither another node nor A itself takes anything.
    expect((await claimDeadNodeMarks(nodesDb(b.db), 'postgres', b.opened.nodeId)).marks).toEqual([]);
    expect((await claimDeadNodeMarks(nodesDb(a.db), 'postgres', A)).marks).toEqual([]);
    expect(await owners()).toEqual(['e0:-', 'e1:A', 'e2:A', 'e3:A', 'e4:A', 'e5:A', 'e6:A']);
    expect(await a.db.selectFrom('cloud_nodes').select('id').execute()).toHaveLength(3);

    // A's last beat 3 periods and a bit ago: B and C sweep at the same time; each mark goes to one of them.
    await a.db
      .updateTable('cloud_nodes')
      .set({ heartbeat_at: sql`heartbeat_at - 3001` })
      .where('id', 'in', [A, 'node-d'])
      .execute();
    const [byB, byC] = await Promise.all(
      [b, c].map((s) => claimDeadNodeMarks(nodesDb(s.db), 'postgres', s.opened.nodeId)),
    );
    const taken = [...byB!.marks, ...byC!.marks].map((m) => m.subject).sort();
    expect(taken).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    for (const r of [byB!, byC!]) expect(r.nodes.every((n) => n.id === A)).toBe(true);
    const rows = await a.db.selectFrom('evaluation_marks').select(['subject', 'owner']).execute();
    for (const m of rows.filter((r) => r.subject !== 'e0'))
      expect([b.opened.nodeId, c.opened.nodeId]).toContain(m.owner);
    expect(rows.find((r) => r.subject === 'e0')!.owner).toBeNull();
    // The dead nodes' rows are gone, with or without marks; the live one's stays.
    expect(await a.db.selectFrom('cloud_nodes').select('id').execute()).toEqual([{ id: 'node-e' }]);
  }, 60_000);

  it('a SIGKILLed cloud that committed an excursion unevaluated: the survivor takes its marks within seconds and locks the unit', async () => {
    const db = await freshDb();
    const setup = await open(db.url);
    await setup.upsertLocation(
      {
        id: 'room-a',
        name: 'room-a',
        kind: 'room',
        min_c: 2,
        max_c: 8,
        alarm_delay_ms: 10 * MIN,
        critical_margin_c: 5,
        max_gap_ms: 30 * MIN,
      },
      T0,
    );
    await setup.upsertGateway({ id: 'gw-a', now: T0 });

    // The survivor: a whole cloud, started first (its start evaluates the master data's marks).
    let survivor: TestCloud | undefined = await startTestCloud({
      database: db.url,
      mqtt: { embedded: { enabled: false } },
      evaluation: { debounceMs: 20, nodeHeartbeatMs: SURVIVOR_HEARTBEAT_MS },
    });
    cleanups.push(async () => survivor?.stop());
    const s = survivor;
    const metric = async (name: string) => metricValue(await scrapeMetrics(s), name) ?? 0;
    await until(
      async () => (await s.store.db.selectFrom('evaluation_marks').select('id').execute()).length === 0,
      'the master data evaluated',
    );
    // The setup's marks may have been taken over too (its connection's node has no row, as a CLI command's).
    const claimedBefore = await metric('coldtrace_evaluation_dead_node_marks_claimed_total');

    // The cloud that will die: commits the unit's arrival and the readings, evaluates nothing.
    const proc = fork(CHILD, [db.url, String(CHILD_HEARTBEAT_MS)], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise((r) => proc.once('exit', r));
    cleanups.push(async () => {
      proc.kill('SIGKILL');
      await exited;
    });
    const replies: Array<Record<string, unknown>> = [];
    proc.on('message', (m) => replies.push(m as Record<string, unknown>));
    const next = () =>
      until(
        () => replies.shift() ?? (proc.exitCode !== null ? { exitedEarly: proc.exitCode } : undefined),
        'an answer from the child cloud',
        { timeoutMs: 60_000 },
      );
    const ready = await next();
    expect(ready).toMatchObject({ ready: true });
    const dying = String(ready.nodeId);
    proc.send([pass('gw-a', 1, U1, 'dock', 'room-a', T0 - MIN), ...roomReadings(2)]);
    expect(await next()).toEqual({ committed: 22 });
    const marksOf = async (owner: string) =>
      (await s.store.db.selectFrom('evaluation_marks').select('id').where('owner', '=', owner).execute())
        .length;
    const left = await marksOf(dying);
    // One per batch: the movement's EPC and each reading's window.
    expect(left).toBe(22);

    // While it lives (beating every 2 s), the survivor's sweeps (every 250 ms) leave its marks alone.
    const sweepsBefore = await metric('coldtrace_evaluation_dead_node_sweeps_total');
    await until(
      async () => (await metric('coldtrace_evaluation_dead_node_sweeps_total')) >= sweepsBefore + 6,
      'six sweeps of the survivor while the child lives',
      { timeoutMs: 30_000 },
    );
    expect(await marksOf(dying)).toBe(22);
    expect(await metric('coldtrace_evaluation_dead_node_marks_claimed_total')).toBe(claimedBefore);
    expect(await s.store.db.selectFrom('excursions').select('id').execute()).toEqual([]);

    // SIGKILL: nothing closed, its row left with its last heartbeat.
    proc.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const locks = await until(
      async () => {
        const l = await s.store.db.selectFrom('locks').select(['epc', 'state']).execute();
        return l.length > 0 ? l : undefined;
      },
      'the unit locked by the survivor',
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const lockedAfterMs = Date.now() - killedAt;
    expect(locks).toEqual([{ epc: U1, state: 'active' }]);
    const excursions = await s.store.db
      .selectFrom('excursions')
      .select(['location_id', 'start_ts', 'max_c'])
      .execute();
    expect(excursions).toEqual([{ location_id: 'room-a', start_ts: T0 + 10 * MIN, max_c: 12 }]);
    expect(await metric('coldtrace_evaluation_dead_node_marks_claimed_total')).toBe(claimedBefore + 22);
    await until(
      async () => (await s.store.db.selectFrom('evaluation_marks').select('id').execute()).length === 0,
      'every mark the dead cloud left cleared',
    );
    // The dead node's row went with its marks; the survivor's stays while it runs.
    expect((await s.store.db.selectFrom('cloud_nodes').select('id').execute()).map((n) => n.id)).toEqual([
      s.store.opened.nodeId,
    ]);
    // Bounded by 3 of the dead node's periods after its last beat plus one sweep, with slack for a loaded
    // machine: far below the age-based sweep (marks older than 2 min, every 2 min).
    console.log(`dead node's marks evaluated and the unit locked ${lockedAfterMs} ms after the SIGKILL`);
    expect(lockedAfterMs).toBeLessThan(30_000);

    // A clean stop removes the node's row: nobody waits for its heartbeats to age.
    const id = s.store.opened.nodeId;
    await s.stop();
    survivor = undefined;
    expect(await setup.db.selectFrom('cloud_nodes').select('id').where('id', '=', id).execute()).toEqual([]);
  }, 180_000);
});
