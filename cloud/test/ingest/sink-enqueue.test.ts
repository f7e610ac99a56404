import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingsBatch } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INFLUX_SINK } from '../../src/sinks/influx-sink.js';
import { SinkOutbox } from '../../src/sinks/sink-outbox.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';

// Migration 0005 dropped the per-row sink trigger on SQLite; the ingest plan enqueues, on both backends.
describe.each(['sqlite', 'kysely'] as const)('sink outbox filled by the %s ingest backend', (ingest) => {
  let dir: string;
  let store: CloudStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-sink-enqueue-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`), { ingest });
    await store.upsertGateway({ id: 'g1', now: 0 });
    await store.upsertGateway({ id: 'g2', now: 0 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no per-row trigger on the readings ingest writes any more', () => {
    const triggers = (table: string) =>
      store.opened
        .sqlite!.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
        )
        .pluck()
        .all(table);
    // Ingest writes `reading_rows` (0043); the view `readings` has only the INSTEAD OF triggers of other writers.
    expect(triggers('reading_rows')).toEqual([]);
    expect(triggers('readings')).toEqual(['readings_delete', 'readings_insert', 'readings_update']);
  });

  it('enqueues exactly the newly inserted readings of a group commit, only while a sink is enabled', async () => {
    const outbox = new SinkOutbox(store.db, INFLUX_SINK);
    const b = (gw: string, n: number, firstSeq: number) =>
      readingsBatch(gw, readings(n, { firstSeq })) as ReadingsBatch;
    expect((await store.ingestReadings('g1', b('g1', 3, 1), 1)).inserted).toBe(3);
    expect(await outbox.backlog()).toBe(0);
    await outbox.setEnabled(true, 2);
    // Submitted together (SQLite backend: one group commit); the repeat of g1 1..3 enqueues nothing.
    const results = await Promise.all([
      store.ingestReadings('g1', b('g1', 3, 1), 3),
      store.ingestReadings('g1', b('g1', 2, 4), 3),
      store.ingestReadings('g2', b('g2', 2, 1), 3),
    ]);
    expect(results.map((r) => r.inserted)).toEqual([0, 2, 2]);
    expect((await outbox.take(10)).map((r) => [r.gateway_id, r.seq, r.temp_c !== null])).toEqual([
      ['g1', 4, true],
      ['g1', 5, true],
      ['g2', 1, true],
      ['g2', 2, true],
    ]);
    await outbox.setEnabled(false, 4);
    expect((await store.ingestReadings('g1', b('g1', 1, 6), 5)).inserted).toBe(1);
    expect(await outbox.backlog()).toBe(0);
  });
});
