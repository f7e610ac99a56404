import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import fc from 'fast-check';
import { expect } from 'vitest';
import { unionSpans } from '../../src/domain/ingest/seq-spans.js';
import type { CloudStore } from '../../src/store/cloud-store.js';

export const T0 = Date.UTC(2026, 0, 1);

/** A readings batch of one sensor with seqs from..to, one a second. */
export function batchOf(gatewayId: string, from: number, to: number): ReadingsBatch {
  const records: Reading[] = [];
  for (let seq = from; seq <= to; seq++) {
    records.push({
      seq,
      sensorId: 's1',
      locationId: 'room-1',
      ts: T0 + seq * 1000,
      tempC: 5,
      quality: 'ok',
    });
  }
  return { gatewayId, firstSeq: from, lastSeq: to, sentAt: T0, records };
}

/**
 * For any spans of seqs ingested in any order, one after another or concurrently: the coverage (high-water
 * mark, holes) is their union, the `stream_ranges` rows are exactly that union (a merge keeps one row per
 * run: neighbours joined, merged rows deleted), and every reading is stored once.
 */
export async function checkStreamRangesProperty(store: CloudStore, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 8 })).map(([from, len]) => ({
          from,
          to: from + len,
        })),
        { minLength: 1, maxLength: 12 },
      ),
      fc.boolean(),
      async (spans, concurrent) => {
        const gw = `p${Math.floor(Math.random() * 1e9)}`;
        const ingest = (s: { from: number; to: number }) =>
          store.ingestReadings(gw, batchOf(gw, s.from, s.to), T0);
        if (concurrent) await Promise.all(spans.map(ingest));
        else for (const s of spans) await ingest(s);
        const union = unionSpans(spans);
        const cov = (await store.coverage(gw))[0]!;
        expect(cov.highWater).toBe(Math.max(...spans.map((s) => s.to)));
        const holes: Array<{ from: number; to: number }> = [];
        let next = 1;
        for (const u of union) {
          if (u.from > next) holes.push({ from: next, to: u.from - 1 });
          next = u.to + 1;
        }
        expect(cov.holes).toEqual(holes);
        const rows = await store.db
          .selectFrom('stream_ranges')
          .select(['from_seq', 'to_seq'])
          .where('gateway_id', '=', gw)
          .orderBy('from_seq')
          .execute();
        expect(rows.map((r) => ({ from: Number(r.from_seq), to: Number(r.to_seq) }))).toEqual(union);
        const n = new Set(
          spans.flatMap((s) => Array.from({ length: s.to - s.from + 1 }, (_, i) => s.from + i)),
        );
        expect((await store.listReadings({ gatewayId: gw, limit: 10_000 })).length).toBe(n.size);
      },
    ),
    { numRuns },
  );
}
