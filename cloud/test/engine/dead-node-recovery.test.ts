import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { heartbeatNode, nodesDb } from '../../src/store/cloud-nodes.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { location, T0 } from '../domain/harness.js';

// The takeover of dead nodes' evaluation marks through the engine (0029, engine/mark-recovery.ts), on SQLite:
// owners are written explicitly here (on PostgreSQL the connection stamps them: dead-node-marks.pg.svc.test.ts).

describe('evaluation marks of dead nodes taken over by the engine', () => {
  let dir: string;
  let store: CloudStore | undefined;
  let engine: DomainEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes a stopped-heartbeat node's and a rowless process's marks, logs each, evaluates them; leaves live, own and ownerless ones", async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-dead-node-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    const logged: Array<{ level: number; msg: string; deadNode?: string; marks?: number }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    engine = new DomainEngine({ store, clock: manualClock(T0), log, debounceMs: 1_000_000 });
    const self = store.opened.nodeId;
    const db = store.db;
    for (const id of ['room-a', 'room-b', 'room-c', 'room-d', 'room-e']) await location({ store }, id);
    // The master data's own marks (no owner) are not what this test is about.
    await db.deleteFrom('evaluation_marks').execute();
    await heartbeatNode(nodesDb(db), 'sqlite', 'dead', 1_000);
    await heartbeatNode(nodesDb(db), 'sqlite', 'live', 1_000);
    await db
      .updateTable('cloud_nodes')
      .set({ heartbeat_at: sql`heartbeat_at - 3001` })
      .where('id', '=', 'dead')
      .execute();
    const mark = (subject: string, owner: string | null) => ({
      kind: 'location',
      subject,
      from_ts: T0,
      to_ts: T0 + 60_000,
      cause: null,
      created_at: T0,
      owner,
    });
    await db
      .insertInto('evaluation_marks')
      .values([
        mark('room-a', 'dead'),
        mark('room-a', 'dead'),
        mark('room-b', 'gone'),
        mark('room-c', 'live'),
        mark('room-d', self),
        mark('room-e', null),
      ])
      .execute();

    expect(await engine.recoverDeadNodeMarks()).toEqual({ nodes: 2, marks: 3 });
    const owners = await db
      .selectFrom('evaluation_marks')
      .select(['subject', 'owner'])
      .orderBy('id')
      .execute();
    expect(owners).toEqual([
      { subject: 'room-a', owner: self },
      { subject: 'room-a', owner: self },
      { subject: 'room-b', owner: self },
      { subject: 'room-c', owner: 'live' },
      { subject: 'room-d', owner: self },
      { subject: 'room-e', owner: null },
    ]);
    const took = logged.filter((l) => l.msg.startsWith('evaluation marks of'));
    expect(took.map((l) => [l.level, l.deadNode, l.marks])).toEqual([
      [40, 'dead', 2],
      [30, 'gone', 1],
    ]);
    expect((await db.selectFrom('cloud_nodes').select('id').execute()).map((n) => n.id)).toEqual(['live']);

    // Marked dirty: one evaluation clears what was taken; the others' marks stay (nobody told the engine).
    await engine.flush();
    expect(
      (await db.selectFrom('evaluation_marks').select('subject').orderBy('subject').execute()).map(
        (m) => m.subject,
      ),
    ).toEqual(['room-c', 'room-d', 'room-e']);
    // Nothing left to take: a second sweep takes nothing.
    expect(await engine.recoverDeadNodeMarks()).toEqual({ nodes: 0, marks: 0 });
  });
});
