import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudStore, type IngestResult } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteIngestBackend } from '../../src/store/ingest/sqlite-ingest-backend.js';
import { batchOf, checkStreamRangesProperty, T0 } from './stream-ranges-property.js';

const counts = (r: IngestResult) => ({ inserted: r.inserted, duplicates: r.duplicates });

describe('SQLite ingest backend (group commit)', () => {
  let dir: string;
  let store: CloudStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-fast-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the path CloudStore takes on SQLite', () => {
    expect(store.ingestBackend).toBeInstanceOf(SqliteIngestBackend);
  });

  it('commits concurrently submitted batches in one group, each resolving with its own counts', async () => {
    const before = { ...store.ingestBackend.groups! };
    const results = await Promise.all([
      store.ingestReadings('gw1', batchOf('gw1', 1, 10), T0),
      store.ingestReadings('gw2', batchOf('gw2', 1, 5), T0),
      store.ingestReadings('gw1', batchOf('gw1', 6, 12), T0), // overlaps the first: 2 new
    ]);
    expect(results.map(counts)).toEqual([
      { inserted: 10, duplicates: 0 },
      { inserted: 5, duplicates: 0 },
      { inserted: 2, duplicates: 5 },
    ]);
    // Each batch with new readings committed its own evaluation mark (0006), one per location.
    const ids = results.map((r) => r.marks?.get('room-1'));
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(store.ingestBackend.groups!.count - before.count).toBe(1);
    expect(store.ingestBackend.groups!.batches - before.batches).toBe(3);
    expect((await store.counts()).readings).toBe(17);
    const cov = await store.coverage();
    expect(cov.map((c) => [c.gatewayId, c.highWater, c.holes])).toEqual([
      ['gw1', 12, []],
      ['gw2', 5, []],
    ]);
  });

  it('a bad batch in a group rejects alone; the others are committed', async () => {
    const bad = batchOf('gw1', 20, 22);
    (bad.records[1] as { sensorId: unknown }).sensorId = null; // NOT NULL violation
    const [a, b, c] = await Promise.allSettled([
      store.ingestReadings('gw1', batchOf('gw1', 1, 3), T0),
      store.ingestReadings('gw1', bad, T0),
      store.ingestReadings('gw2', batchOf('gw2', 1, 2), T0),
    ]);
    expect(a.status === 'fulfilled' && counts(a.value)).toEqual({ inserted: 3, duplicates: 0 });
    expect(b.status).toBe('rejected');
    expect(c.status === 'fulfilled' && counts(c.value)).toEqual({ inserted: 2, duplicates: 0 });
    // The bad batch's mark was rolled back with it: only the two committed batches left one.
    expect(await store.db.selectFrom('evaluation_marks').select('subject').execute()).toHaveLength(2);
    expect((await store.listReadings({ gatewayId: 'gw1' })).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await store.coverage('gw1'))[0]).toMatchObject({ highWater: 3, holes: [] });
  });

  it('a group rolled back by a bad batch redoes a sequence reset once: one epoch row, one audit entry', async () => {
    const A = 'a000000000000001';
    const B = 'b000000000000002';
    await store.ingestReadings('gw1', { ...batchOf('gw1', 1, 5), epoch: A }, T0);
    const bad = { ...batchOf('gw2', 1, 3), epoch: B };
    (bad.records[1] as { sensorId: unknown }).sensorId = null; // NOT NULL violation
    const [reset, failed] = await Promise.allSettled([
      store.ingestReadings('gw1', { ...batchOf('gw1', 1, 2), epoch: B }, T0 + 1),
      store.ingestReadings('gw2', bad, T0 + 1),
    ]);
    expect(failed.status).toBe('rejected');
    expect(reset.status === 'fulfilled' && reset.value.sequenceReset).toMatchObject({
      fromEpoch: A,
      toEpoch: B,
    });
    // gw2's adopted epoch was rolled back with its batch; gw1's reset is there once.
    const epochs = await store.db.selectFrom('stream_epochs').select(['gateway_id', 'epoch']).execute();
    expect(epochs.map((e) => `${e.gateway_id}/${e.epoch}`).sort()).toEqual([`gw1/${A}`, `gw1/${B}`]);
    const audit = await store.db.selectFrom('audit_log').select(['action', 'entity_id']).execute();
    expect(audit).toEqual([{ action: 'gateway.sequence_reset', entity_id: 'gw1' }]);
    const seqs = (await store.listReadings({ gatewayId: 'gw1' })).map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 2 ** 40 + 1, 2 ** 40 + 2]);
  });

  it('waits for a Kysely transaction in progress instead of joining it', async () => {
    let inserted: Promise<unknown> | undefined;
    let settled = false;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('gateways')
          .values({ id: 'gw9', name: null, secret_hash: null, created_at: T0, online: 0 })
          .execute();
        inserted = store.ingestReadings('gw9', batchOf('gw9', 1, 4), T0);
        const settle = () => {
          settled = true;
        };
        inserted.then(settle, settle);
        // The group commit is scheduled with setImmediate: one macrotask turn later it has asked for the
        // connection, which this transaction holds. Joining it would have settled the batch by now.
        await new Promise((r) => setImmediate(r));
        expect(settled).toBe(false);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(counts((await inserted) as IngestResult)).toEqual({ inserted: 4, duplicates: 0 });
    expect(await store.getGateway('gw9')).toBeUndefined();
    expect((await store.counts()).readings).toBe(4);
  });

  it('coverage matches the union of the ingested ranges, whatever the arrival order', async () => {
    await checkStreamRangesProperty(store, 40);
  });
});

// The same property through the Kysely ingest backend (PostgreSQL's code path, its SQLite branch): its span
// rows are read and written by store/ingest/kysely-span-rows.ts, not by the synchronous store.
describe('SQLite with the Kysely ingest backend', () => {
  let dir: string;
  let store: CloudStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-kysely-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`), { ingest: 'kysely' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('coverage matches the union of the ingested ranges, whatever the arrival order', async () => {
    await checkStreamRangesProperty(store, 40);
  });
});
