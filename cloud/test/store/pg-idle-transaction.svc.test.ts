import { until } from '@coldtrace/shared/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { perTestPg } from './pg-fresh.js';

// docs/operations.md "A cloud that goes silent". A cloud frozen (SIGSTOP, a stalled VM) or cut off mid-
// transaction sends nothing, and nothing resets its connection: without a limit PostgreSQL keeps its
// session, and the locks it holds, for ever. The other clouds' ingest of the same gateway stream waits on
// the stream's advisory lock (store/ingest/kysely-ingest-backend.ts) for as long.
describe('PostgreSQL: a session left idle inside a transaction', () => {
  const pgs = perTestPg();

  it('is ended after databasePool.idleInTransactionTimeoutMs, so another cloud’s ingest of the stream goes on', async () => {
    const url = await pgs.url();
    const errors: Error[] = [];
    const frozenDb = await openDatabase(url, {
      pool: { size: 2, idleInTransactionTimeoutMs: 1_000 },
      onConnectionError: (err) => errors.push(err),
    });
    pgs.defer(() => frozenDb.close());
    const other = new CloudStore(await openDatabase(url));
    pgs.defer(() => other.close());
    await other.upsertGateway({ id: 'gw-1', now: T0 });

    // The frozen cloud: inside an ingest transaction, holding gw-1's readings stream lock, sending nothing.
    let resume!: () => void;
    const resumed = new Promise<void>((r) => {
      resume = r;
    });
    // A failing test resumes it too, before its pool is closed.
    pgs.defer(async () => resume());
    let holding = false;
    const frozen = frozenDb.db
      .transaction()
      .execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${'gw-1/readings'}))`.execute(trx);
        holding = true;
        await resumed;
        // Resumed: its next statement finds the session ended.
        await sql`select 1`.execute(trx);
        return 'committed';
      })
      .catch((err: Error) => err.message);
    await until(() => holding, 'the frozen transaction holding the stream lock');

    const started = Date.now();
    const ingest = other.ingestReadings('gw-1', readingsBatch('gw-1', readings(3)), T0);
    // Precondition: the other cloud's ingest waits on that lock.
    await until(
      async () =>
        (
          await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`.execute(
            other.db,
          )
        ).rows[0]!.n === 1,
      'the other cloud’s ingest waiting on the stream lock',
    );
    // PostgreSQL ends the idle session after 1 s; the ingest then takes the lock and commits.
    await expect(ingest).resolves.toMatchObject({ inserted: 3, duplicates: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await other.listReadings({ gatewayId: 'gw-1', limit: 10 })).map((r) => r.seq)).toEqual([1, 2, 3]);

    // The frozen cloud, resumed: its transaction fails (nothing of it commits), the loss is reported once
    // (no crash), and its pool serves the next query on a new connection.
    await until(() => errors.length > 0, 'the ended session reported');
    resume();
    expect(await frozen).not.toBe('committed');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/idle-in-transaction timeout/);
    const { rows } = await sql<{ x: number }>`select 2 as x`.execute(frozenDb.db);
    expect(rows).toEqual([{ x: 2 }]);
  });
});
