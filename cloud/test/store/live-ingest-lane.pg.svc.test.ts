import { until } from '@coldtrace/shared/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudStore, type IngestResult } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readingsBatchOf } from './group-commit-contract.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/architecture.md "Live readings": a live batch commits in a group of its own, not behind the backlog's.

const T0 = Date.UTC(2026, 0, 1);
const BACKLOG = 200;

describe('PostgreSQL group commit: the live readings lane', () => {
  let fresh: FreshPostgres;
  let store: CloudStore;
  let holder: pg.Client;
  beforeEach(async () => {
    fresh = await freshPostgresUrl();
    store = new CloudStore(await openDatabase(fresh.url));
    holder = new pg.Client({ connectionString: fresh.url });
    await holder.connect();
  });
  afterEach(async () => {
    await holder.end().catch(() => {});
    await store.close();
    await fresh.drop();
  });

  const seqs = async (gatewayId: string) =>
    (await store.listReadings({ gatewayId, limit: 100_000 })).map((r) => r.seq);

  it('commits a live batch while the backlog groups ahead of it are blocked; a backlog batch waits', async () => {
    // The backlog's groups block on gw-backlog's stream lock (the advisory lock every group takes), held here.
    await holder.query('BEGIN');
    await holder.query("SELECT pg_advisory_xact_lock(hashtext('gw-backlog/readings'))");
    const waiting = await holder.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
    );
    expect(Number(waiting.rows[0]!.n)).toBe(0);
    const settled: Promise<IngestResult>[] = [];
    for (let b = 0; b < BACKLOG; b++)
      settled.push(
        store.ingestReadings('gw-backlog', readingsBatchOf('gw-backlog', b * 10 + 1, b * 10 + 10), T0),
      );
    // Precondition: the backlog's groups are in their transactions, waiting for the lock.
    await until(async () => {
      const r = await holder.query<{ n: string }>(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      return Number(r.rows[0]!.n) >= 1;
    }, 'a backlog group waiting for the stream lock');
    let otherDone = false;
    const other = store.ingestReadings('gw-other', readingsBatchOf('gw-other', 1, 1), T0).then((r) => {
      otherDone = true;
      return r;
    });
    const live = await store.ingestReadings('gw-live', readingsBatchOf('gw-live', 1, 2), T0, { live: true });
    expect(live).toMatchObject({ inserted: 2, duplicates: 0 });
    expect(await seqs('gw-live')).toEqual([1, 2]);
    // Still blocked: nothing of the backlog is stored, and a batch not marked live queued behind it.
    expect(await seqs('gw-backlog')).toEqual([]);
    expect(otherDone).toBe(false);

    await holder.query('COMMIT');
    const results = await Promise.all(settled);
    expect(results.every((r) => r.inserted === 10 && r.duplicates === 0)).toBe(true);
    expect(await other).toMatchObject({ inserted: 1 });
    expect((await seqs('gw-backlog')).length).toBe(BACKLOG * 10);
    // The live lane dedups as the other: the same batch again stores nothing.
    expect(
      await store.ingestReadings('gw-live', readingsBatchOf('gw-live', 1, 2), T0, { live: true }),
    ).toMatchObject({
      inserted: 0,
      duplicates: 2,
    });
  });
});
