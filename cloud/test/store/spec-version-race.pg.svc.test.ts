import { until } from '@coldtrace/shared/testing';
import { sql, type Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/schema.js';
import { addVersion, insertInitialVersion, specHistory } from '../../src/store/spec-version-repo.js';
import { withFreshPgStore } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).

/**
 * Two signed changes of one location at the same moment, in two transactions (two cloud processes or two
 * requests): both plan version 2. The second to commit is refused with a conflict (409 through the API),
 * never a 500, and nothing of it is written.
 */
describe('signed specification changes racing on PostgreSQL', () => {
  const fresh = withFreshPgStore();

  it('commits one and refuses the other with a conflict', async () => {
    const store = fresh();
    const w = { at: 1, actor: 'qa', reason: 'seed' };
    await store.db
      .transaction()
      .execute((trx) => insertInitialVersion(trx, 'location', 'room1', { maxC: 8 }, w));
    const change = (trx: Transaction<Database>, maxC: number) =>
      addVersion(
        trx,
        'location',
        'room1',
        { kind: 'change', effectiveFrom: 10_000, spec: { maxC }, now: 5_000 },
        { at: 2, actor: `qa-${maxC}`, reason: 'raise' },
      );
    // The first change writes version 2 and holds its commit until the second waits on that row: the second
    // read the history while the first was uncommitted, so it planned version 2 as well (the race). A
    // condition, not a timing: which of two racing transactions reads first is otherwise up to the machine.
    let written!: () => void;
    const firstWrote = new Promise<void>((r) => {
      written = r;
    });
    const first = store.db.transaction().execute(async (trx) => {
      const plan = await change(trx, 9);
      written();
      await until(async () => {
        const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
        return r.rows[0]!.n > 0;
      }, 'the second change waiting on the version 2 the first wrote');
      return plan;
    });
    await firstWrote;
    const second = store.db.transaction().execute((trx) => change(trx, 10));
    const results = await Promise.allSettled([first, second]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { next: { version: 2 } } });
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/changed by another signed change at the same moment/),
    });
    const history = await specHistory(store.db, 'location', 'room1');
    expect(history.map((v) => v.version)).toEqual([1, 2]);
  });
});
