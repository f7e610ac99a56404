import type { AlarmsBatch, MovementsBatch, ReadingsBatch } from '@coldtrace/shared';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { holesIn } from '../../src/domain/ingest/seq-spans.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { alarm, batchOf, type NewGateway } from './store-contract-fixtures.js';

/**
 * Coverage (high-water marks, holes, thinned ranges), including under concurrent overlapping ingest:
 * part of the store contract (`runStoreContract`).
 */
export function coverageContract(getStore: () => CloudStore, newGateway: NewGateway): void {
  describe('coverage', () => {
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

    it('reports the high-water mark and holes until replay fills them', async () => {
      const id = await newGateway();
      await store.ingestReadings(id, readingsBatch(id, readings(5)) as ReadingsBatch, T0);
      await store.ingestReadings(id, readingsBatch(id, readings(5, { firstSeq: 11 })) as ReadingsBatch, T0);
      await store.ingestMovements(id, batchOf(id, [movement(3, 'AA01')]) as MovementsBatch, T0);
      expect(await store.coverage(id)).toEqual([
        { gatewayId: id, stream: 'movements', highWater: 3, holes: [{ from: 1, to: 2 }], thinned: 0 },
        { gatewayId: id, stream: 'readings', highWater: 15, holes: [{ from: 6, to: 10 }], thinned: 0 },
      ]);
      await store.ingestReadings(id, readingsBatch(id, readings(5, { firstSeq: 6 })) as ReadingsBatch, T0);
      const [, r] = await store.coverage(id);
      expect(r).toMatchObject({ stream: 'readings', highWater: 15, holes: [] });
    });

    it('counts thinned ranges as covered, once, however often the batch arrives', async () => {
      const id = await newGateway();
      const recs = [...readings(2), ...readings(2, { firstSeq: 8 })];
      const batch = batchOf(id, recs, [{ from: 3, to: 7 }]);
      await store.ingestReadings(id, batch as ReadingsBatch, T0);
      await store.ingestReadings(id, batch as ReadingsBatch, T0 + 1);
      expect(await store.coverage(id)).toEqual([
        { gatewayId: id, stream: 'readings', highWater: 9, holes: [], thinned: 5 },
      ]);
      // A batch that is all thinned covers its range too.
      await store.ingestReadings(id, batchOf(id, [], [{ from: 10, to: 12 }]) as ReadingsBatch, T0);
      expect((await store.coverage(id))[0]).toMatchObject({ highWater: 12, holes: [], thinned: 8 });
      expect(await store.counts()).toMatchObject({ readings: expect.any(Number) });
    });

    it('grows a stored thinned range when a replayed batch carries it merged with later thinning', async () => {
      // The gateway merges a new thinned range with an adjacent earlier one: a replay may carry [3, 12]
      // where [3, 7] is stored. Seqs 8..12 must count as thinned (they are not stored, and no hole shows).
      const id = await newGateway();
      await store.ingestReadings(id, batchOf(id, readings(2), [{ from: 3, to: 7 }]) as ReadingsBatch, T0);
      await store.ingestReadings(
        id,
        batchOf(id, readings(1, { firstSeq: 13 }), [{ from: 3, to: 12 }]) as ReadingsBatch,
        T0 + 1,
      );
      expect(await store.coverage(id)).toEqual([
        { gatewayId: id, stream: 'readings', highWater: 13, holes: [], thinned: 10 },
      ]);
      // Overlapping from another start: each seq counted once; a separate range keeps its own row.
      await store.ingestReadings(
        id,
        batchOf(id, readings(1, { firstSeq: 16 }), [{ from: 10, to: 15 }]) as ReadingsBatch,
        T0 + 2,
      );
      await store.ingestReadings(id, batchOf(id, [], [{ from: 17, to: 20 }]) as ReadingsBatch, T0 + 3);
      expect(await store.coverage(id)).toEqual([
        { gatewayId: id, stream: 'readings', highWater: 20, holes: [], thinned: 10 + 3 + 4 },
      ]);
      const rows = await store.db
        .selectFrom('thinned_ranges')
        .select(['from_seq', 'to_seq', 'received_at'])
        .where('gateway_id', '=', id)
        .orderBy('from_seq')
        .execute();
      // One row per maximal thinned span; received_at stays the first report's.
      expect(rows).toEqual([
        { from_seq: 3, to_seq: 15, received_at: T0 },
        { from_seq: 17, to_seq: 20, received_at: T0 + 3 },
      ]);
    });

    it('lists every gateway when none is named, sorted by gateway and stream', async () => {
      const a = await newGateway('cov-a');
      const b = await newGateway('cov-b');
      await store.ingestAlarms(b, batchOf(b, [alarm(1)]) as AlarmsBatch, T0);
      await store.ingestReadings(a, readingsBatch(a, readings(1)) as ReadingsBatch, T0);
      const all = await store.coverage();
      const mine = all.filter((c) => c.gatewayId === a || c.gatewayId === b);
      expect(mine.map((c) => [c.gatewayId, c.stream])).toEqual([
        [a, 'readings'],
        [b, 'alarms'],
      ]);
      const keys = all.map((c) => `${c.gatewayId}/${c.stream}`);
      expect(keys).toEqual(
        [...all]
          .sort((x, y) => x.gatewayId.localeCompare(y.gatewayId) || x.stream.localeCompare(y.stream))
          .map((c) => `${c.gatewayId}/${c.stream}`),
      );
    });

    it('is exact under concurrent, overlapping, out-of-order ingest (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 12 })), {
            minLength: 1,
            maxLength: 12,
          }),
          async (spans) => {
            const id = await newGateway('prop');
            const batches = spans.map(
              ([from, len]) => readingsBatch(id, readings(len + 1, { firstSeq: from })) as ReadingsBatch,
            );
            const results = await Promise.all(batches.map((b) => store.ingestReadings(id, b, T0)));
            const expected = new Set(
              spans.flatMap(([from, len]) => Array.from({ length: len + 1 }, (_, i) => from + i)),
            );
            expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(expected.size);
            const rows = await store.listReadings({ gatewayId: id });
            expect(rows.map((r) => r.seq)).toEqual([...expected].sort((x, y) => x - y));
            const spansOf = [...expected].map((s) => ({ from: s, to: s }));
            const [cov] = await store.coverage(id);
            expect(cov).toEqual({
              gatewayId: id,
              stream: 'readings',
              highWater: Math.max(...expected),
              holes: holesIn(spansOf),
              thinned: 0,
            });
          },
        ),
        { numRuns: Number(process.env.STORE_PROP_RUNS ?? 100) },
      );
    });
  });
}
