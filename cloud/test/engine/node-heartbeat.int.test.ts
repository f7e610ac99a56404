import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// The cloud's node row on SQLite (migration 0029, docs/operations.md "Evaluation marks of a cloud that
// died"): one process writes, so marks carry no owner; the heartbeat runs all the same and is harmless.

describe("a cloud's node heartbeat on SQLite", () => {
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await cloud?.stop();
    cloud = undefined;
  });

  it('beats while running, its marks have no owner, and a clean stop removes its row', async () => {
    cloud = await startTestCloud({ evaluation: { debounceMs: 20, nodeHeartbeatMs: 100 } });
    const c = cloud;
    const db = c.store.db;
    const row = () => db.selectFrom('cloud_nodes').selectAll().execute();
    const [first] = await row();
    expect(first).toMatchObject({ id: c.store.opened.nodeId, heartbeat_ms: 100 });
    await until(async () => ((await row())[0]?.heartbeat_at ?? 0) > first!.heartbeat_at, 'a later heartbeat');
    expect((await row())[0]!.started_at).toBe(first!.started_at);

    await c.store.upsertLocation(
      {
        id: 'room-a',
        name: 'room-a',
        kind: 'room',
        min_c: 2,
        max_c: 8,
        alarm_delay_ms: 0,
        critical_margin_c: 1,
        max_gap_ms: 60_000,
      },
      Date.now(),
    );
    const owners = await db.selectFrom('evaluation_marks').select('owner').execute();
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.every((m) => m.owner === null)).toBe(true);

    cloud = undefined;
    await c.close();
    const after = await openDatabase(`sqlite:${join(c.dir, 'cloud.db')}`);
    try {
      expect(await after.db.selectFrom('cloud_nodes').selectAll().execute()).toEqual([]);
    } finally {
      await after.close();
      rmSync(c.dir, { recursive: true, force: true });
    }
  });
});
