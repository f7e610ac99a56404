import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { addVersion, insertInitialVersion, specHistory } from '../../src/store/spec-version-repo.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).

/**
 * Two signed changes of one location at the same moment, in two transactions (two cloud processes or two
 * requests): both plan version 2. The second to commit is refused with a conflict (409 through the API),
 * never a 500, and nothing of it is written.
 */
describe('signed specification changes racing on PostgreSQL', () => {
  let pg: FreshPostgres;
  let store: CloudStore;
  beforeAll(async () => {
    pg = await freshPostgresUrl();
    store = new CloudStore(await openDatabase(pg.url));
  });
  afterAll(async () => {
    await store?.close();
    await pg?.drop();
  });

  it('commits one and refuses the other with a conflict', async () => {
    const w = { at: 1, actor: 'qa', reason: 'seed' };
    await store.db
      .transaction()
      .execute((trx) => insertInitialVersion(trx, 'location', 'room1', { maxC: 8 }, w));
    let arrived = 0;
    let release!: () => void;
    const bothInside = new Promise<void>((r) => {
      release = r;
    });
    const change = (maxC: number) =>
      store.db.transaction().execute(async (trx) => {
        // Both transactions are open before either writes: each plans from version 1.
        if (++arrived === 2) release();
        await bothInside;
        return addVersion(
          trx,
          'location',
          'room1',
          { kind: 'change', effectiveFrom: 10_000, spec: { maxC }, now: 5_000 },
          { at: 2, actor: `qa-${maxC}`, reason: 'raise' },
        );
      });
    const results = await Promise.allSettled([change(9), change(10)]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/changed by another signed change at the same moment/),
    });
    const history = await specHistory(store.db, 'location', 'room1');
    expect(history.map((v) => v.version)).toEqual([1, 2]);
  });
});
