import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudStore, IngestResult } from '../../src/store/cloud-store.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';

const T0 = Date.UTC(2026, 0, 1);
const counts = (r: IngestResult) => ({ inserted: r.inserted, duplicates: r.duplicates });

export function readingsBatchOf(gatewayId: string, from: number, to: number, epoch?: string): ReadingsBatch {
  const records: Reading[] = [];
  for (let seq = from; seq <= to; seq++)
    records.push({ seq, sensorId: 's1', locationId: 'room-1', ts: T0 + seq * 1000, tempC: 5, quality: 'ok' });
  return { gatewayId, firstSeq: from, lastSeq: to, sentAt: T0, records, ...(epoch ? { epoch } : {}) };
}

/**
 * One gateway's batches through epoch changes: adopted, a reset, a late batch of the old epoch, batches
 * without epoch (the current one), duplicates, a second reset. What a group's store keeps between its
 * batches (epochs, the digest chain's head) must give the answers of batches committed one by one.
 */
const EPOCH_SERIES: ReadonlyArray<readonly [number, number, string | undefined]> = [
  [1, 5, 'a000000000000001'],
  [6, 10, 'a000000000000001'],
  [1, 4, 'b000000000000002'],
  [11, 12, 'a000000000000001'],
  [5, 6, undefined],
  [3, 8, 'b000000000000002'],
  [1, 3, 'c000000000000003'],
  [4, 5, undefined],
];

/**
 * What every grouping ingest backend promises (docs/architecture.md "Storage and sinks"): batches submitted
 * together commit in fewer transactions than batches, each resolving with its own counts after the commit
 * that holds it; a bad batch rejects alone and takes nothing else with it.
 */
export function runGroupCommitContract(
  name: string,
  open: () => Promise<{ store: CloudStore; close(): Promise<void> }>,
) {
  describe(`group commit: ${name}`, () => {
    let store: CloudStore;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    it('commits batches submitted together in fewer transactions, each resolving with its own counts', async () => {
      const groups = store.ingestBackend.groups!;
      const before = { ...groups };
      const submitted = Array.from({ length: 12 }, (_, i) =>
        store.ingestReadings(
          `gw${i % 3}`,
          readingsBatchOf(`gw${i % 3}`, 10 * Math.floor(i / 3) + 1, 10 * Math.floor(i / 3) + 10),
          T0,
        ),
      );
      // One more batch overlapping gw0's first: 5 new, 5 duplicates.
      submitted.push(store.ingestReadings('gw0', readingsBatchOf('gw0', 6, 15), T0));
      const results = await Promise.all(submitted);
      expect(results.slice(0, 12).map(counts)).toEqual(Array(12).fill({ inserted: 10, duplicates: 0 }));
      expect(counts(results[12]!)).toEqual({ inserted: 0, duplicates: 10 });
      expect(groups.batches - before.batches).toBe(13);
      expect(groups.count - before.count).toBeLessThan(13);
      expect(groups.largest).toBeGreaterThan(1);
      expect((await store.counts()).readings).toBe(120);
      const cov = await store.coverage();
      expect(cov.map((c) => [c.gatewayId, c.highWater, c.holes])).toEqual([
        ['gw0', 40, []],
        ['gw1', 40, []],
        ['gw2', 40, []],
      ]);
    });

    it("a group of one gateway's epoch changes answers as the same batches committed one by one", async () => {
      const groups = store.ingestBackend.groups!;
      const outcome = (r: IngestResult) => ({
        ...counts(r),
        adopted: r.epochAdopted,
        reset: r.sequenceReset && { ...r.sequenceReset, gatewayId: undefined },
      });
      const oneByOne: IngestResult[] = [];
      for (const [from, to, epoch] of EPOCH_SERIES)
        oneByOne.push(
          await store.ingestReadings('gw-single', readingsBatchOf('gw-single', from, to, epoch), T0),
        );
      const before = { ...groups };
      const grouped = await Promise.all(
        EPOCH_SERIES.map(([from, to, epoch]) =>
          store.ingestReadings('gw-grouped', readingsBatchOf('gw-grouped', from, to, epoch), T0),
        ),
      );
      // The precondition: the grouped series really shared transactions.
      expect(groups.count - before.count).toBeLessThan(EPOCH_SERIES.length);
      expect(grouped.map(outcome)).toEqual(oneByOne.map(outcome));
      expect(oneByOne.filter((r) => r.sequenceReset)).toHaveLength(2);
      const stored = async (gatewayId: string) =>
        (await store.listReadings({ gatewayId })).map((r) => r.seq).sort((a, b) => a - b);
      expect(await stored('gw-grouped')).toEqual(await stored('gw-single'));
      const digests = (gatewayId: string) =>
        store.db
          .selectFrom('reading_digests')
          .select(['batch_index', 'from_seq', 'to_seq', 'seqs', 'count'])
          .where('gateway_id', '=', gatewayId)
          .orderBy('batch_index')
          .execute();
      expect(await digests('gw-grouped')).toEqual(await digests('gw-single'));
      const report = await verifyReadingDigests(store.db);
      expect(report).toMatchObject({ ok: true, gateways: 2, findings: [] });
    });

    it('a bad batch in a group rejects alone; the others are committed', async () => {
      const bad = readingsBatchOf('gw1', 20, 22);
      (bad.records[1] as { sensorId: unknown }).sensorId = null; // NOT NULL violation
      const settled = await Promise.allSettled([
        store.ingestReadings('gw1', readingsBatchOf('gw1', 1, 3), T0),
        store.ingestReadings('gw2', readingsBatchOf('gw2', 1, 2), T0),
        store.ingestReadings('gw3', readingsBatchOf('gw3', 1, 2), T0),
        store.ingestReadings('gw1', bad, T0),
        store.ingestReadings('gw2', readingsBatchOf('gw2', 3, 4), T0),
      ]);
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((await store.listReadings({ gatewayId: 'gw1' })).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect((await store.listReadings({ gatewayId: 'gw2' })).map((r) => r.seq).sort()).toEqual([1, 2, 3, 4]);
      expect((await store.coverage('gw1'))[0]).toMatchObject({ highWater: 3, holes: [] });
    });
  });
}
