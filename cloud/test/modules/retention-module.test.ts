import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RETENTION_ACTOR } from '../../src/modules/retention-module.js';
import { listReadingArchives, verifyReadingArchive } from '../../src/store/reading-archives.js';
import { type Harness, openHarness } from '../domain/harness.js';
import { DEC, INTERVAL, JAN, OCT, retentionWorld, stored, testRetention } from './retention-module-suite.js';

// docs/operations.md "Retention of raw readings" on SQLite (two clouds on PostgreSQL:
// retention-module.pg.svc.test.ts).

describe('the retention module on SQLite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness();
    await retentionWorld(h);
  });
  afterEach(async () => {
    await h.close();
  });

  it('archives and prunes the expired months only, a second pass does nothing, stop() stops it', async () => {
    const before = { old: await stored(h, OCT, DEC), dec: await stored(h, DEC, JAN) };
    expect(before.old).toBeGreaterThan(0);
    expect(before.dec).toBeGreaterThan(0);
    const t = testRetention(h.store.db, 'sqlite', join(h.dir, 'archives'));
    await t.module.start();
    // The pass at start runs without the start waiting for it.
    await vi.waitFor(async () => expect(await t.metric('last_run_timestamp_seconds')).toBeGreaterThan(0));
    const archives = await listReadingArchives(h.store.db);
    expect(archives.map((a) => [a.period, a.created_by])).toEqual([
      ['2026-10', RETENTION_ACTOR],
      ['2026-11', RETENTION_ACTOR],
    ]);
    for (const a of archives) expect(await verifyReadingArchive(h.store.db, a)).toMatchObject({ ok: true });
    expect(await t.metric('months_archived_total')).toBe(2);
    const pruned = await t.metric('readings_pruned_total');
    expect(pruned).toBeGreaterThan(0);
    expect(await stored(h, OCT, DEC)).toBe(before.old - pruned);
    // December is inside the retention period: untouched.
    expect(await stored(h, DEC, JAN)).toBe(before.dec);

    // Again: nothing more to archive or delete.
    expect(await t.module.run()).toEqual({
      archived: [],
      pruned: expect.any(Array),
      readings: 0,
      failed: [],
    });
    expect(await t.metric('months_archived_total')).toBe(2);
    expect(await stored(h, OCT, DEC)).toBe(before.old - pruned);

    // Every interval; December expires once 30 days have passed since its end.
    const first = await t.metric('last_run_timestamp_seconds');
    t.clock.advance(INTERVAL);
    await vi.waitFor(async () =>
      expect(await t.metric('last_run_timestamp_seconds')).toBe(first + INTERVAL / 1000),
    );
    expect(await t.metric('months_archived_total')).toBe(2);
    t.clock.advance(12 * 24 * INTERVAL);
    await vi.waitFor(async () => expect(await t.metric('months_archived_total')).toBe(3));
    await vi.waitFor(async () => expect(await stored(h, DEC, JAN)).toBeLessThan(before.dec));

    expect(t.clock.pending()).toBe(1);
    await t.module.stop();
    expect(t.clock.pending()).toBe(0);
    expect(await t.metric('failures_total')).toBe(0);
  });

  it('an archive directory that cannot be written fails the pass, counted, and deletes nothing', async () => {
    const file = join(h.dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const before = await stored(h, OCT, JAN);
    const t = testRetention(h.store.db, 'sqlite', join(file, 'archives'));
    expect(await t.module.run()).toBeNull();
    expect(await t.metric('failures_total')).toBe(1);
    expect(await t.metric('last_run_timestamp_seconds')).toBe(0);
    expect(await t.metric('months_archived_total')).toBe(0);
    expect(await listReadingArchives(h.store.db)).toEqual([]);
    expect(await stored(h, OCT, JAN)).toBe(before);
    // The same pass with a writable directory does archive and delete: the failure was the directory.
    const ok = testRetention(h.store.db, 'sqlite', join(h.dir, 'archives'));
    expect(await ok.module.run()).toMatchObject({ archived: ['2026-10', '2026-11'] });
    expect(await ok.metric('months_archived_total')).toBe(2);
    expect(await stored(h, OCT, JAN)).toBeLessThan(before);
  });
});
