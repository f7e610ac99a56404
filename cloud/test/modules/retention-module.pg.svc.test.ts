import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { withOutboxLane } from '../../src/store/lane-lock.js';
import { listReadingArchives, verifyReadingArchive } from '../../src/store/reading-archives.js';
import { type Harness, openHarness } from '../domain/harness.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { DEC, JAN, OCT, retentionWorld, stored, testRetention } from './retention-module-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/operations.md "Retention of raw readings": two clouds sharing the database, one pass at a time.

describe('the retention module with two clouds on PostgreSQL', () => {
  let pg: FreshPostgres;
  let h: Harness;
  let other: CloudStore;
  beforeAll(async () => {
    pg = await freshPostgresUrl();
    h = await openHarness({ url: pg.url });
    other = new CloudStore(await openDatabase(pg.url));
    await retentionWorld(h);
  });
  afterAll(async () => {
    await other?.close();
    await h?.close();
    await pg?.drop();
  });

  it('only one cloud runs a pass at a time, and two give the result of one', async () => {
    const dir = join(h.dir, 'archives');
    const a = testRetention(h.store.db, 'postgres', dir);
    const b = testRetention(other.db, 'postgres', dir);
    const before = { old: await stored(h, OCT, DEC), dec: await stored(h, DEC, JAN) };
    // While one holds the retention lane, the other's pass skips at once and touches nothing.
    const held = await withOutboxLane(h.store.db, 'postgres', 'retention', () => b.module.run());
    expect(held).toBeUndefined();
    expect(await listReadingArchives(h.store.db)).toEqual([]);
    expect(await stored(h, OCT, DEC)).toBe(before.old);

    const [ra, rb] = await Promise.all([a.module.run(), b.module.run()]);
    const done = [ra, rb].filter((r) => r !== undefined);
    expect(done.length).toBeGreaterThan(0);
    // Whichever ran first archived both months; one that ran after it found nothing left to do.
    expect(done.map((r) => r!.archived).sort()).toEqual(
      done.length === 1 ? [['2026-10', '2026-11']] : [[], ['2026-10', '2026-11']],
    );
    const readings = done.reduce((n, r) => n + r!.readings, 0);
    expect(readings).toBeGreaterThan(0);
    expect(done.every((r) => r!.failed.length === 0)).toBe(true);
    const archives = await listReadingArchives(h.store.db);
    expect(archives.map((x) => x.period)).toEqual(['2026-10', '2026-11']);
    for (const x of archives) expect(await verifyReadingArchive(h.store.db, x)).toMatchObject({ ok: true });
    expect(await stored(h, OCT, DEC)).toBe(before.old - readings);
    expect(await stored(h, DEC, JAN)).toBe(before.dec);
    expect((await a.metric('months_archived_total')) + (await b.metric('months_archived_total'))).toBe(2);
    expect((await a.metric('failures_total')) + (await b.metric('failures_total'))).toBe(0);
    // The same as one cloud alone: a further pass of either changes nothing.
    expect(await b.module.run()).toMatchObject({ archived: [], readings: 0, failed: [] });
  });
});
