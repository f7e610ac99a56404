import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LotStay, mergeLotStays } from '../../../src/domain/lot-stays.js';
import type { OpenedDatabase } from '../../../src/store/db.js';
import {
  type ReadingCursor,
  readingsDuringStays,
  type StayReading,
} from '../../../src/store/queries/readings-during-stays.js';
import type { Database } from '../../../src/store/schema.js';

const LOCATIONS = ['loc-a', 'loc-b', 'loc-c'];
const GATEWAYS = ['gw-1', 'gw-2', 'gw-10'];

/** What the page order means, by brute force: every stored reading inside a stay, sorted. */
export function naiveReadings(
  all: readonly StayReading[],
  stays: readonly LotStay[],
  q: { fromTs?: number | undefined; toTs?: number | undefined },
): StayReading[] {
  const inside = (r: StayReading) =>
    stays.some(
      (s) =>
        s.locationId === r.location_id &&
        r.ts >= Math.max(s.from, q.fromTs ?? 0) &&
        r.ts < Math.min(s.to ?? Number.MAX_SAFE_INTEGER, q.toTs ?? Number.MAX_SAFE_INTEGER),
    );
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return all.filter(inside).sort((a, b) => a.ts - b.ts || cmp(a.gateway_id, b.gateway_id) || a.seq - b.seq);
}

const readingArb = fc.record({
  gateway: fc.constantFrom(...GATEWAYS),
  location: fc.constantFrom(...LOCATIONS),
  // A narrow time range so timestamps repeat (ties within and across locations).
  ts: fc.integer({ min: 0, max: 60 }),
});
const custodyArb = fc.record({
  epc: fc.constantFrom('E1', 'E2', 'E3', 'E4'),
  location_id: fc.constantFrom(...LOCATIONS),
  entered_at: fc.integer({ min: 0, max: 60 }),
  len: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
});

async function storeReadings(
  db: Kysely<Database>,
  spec: Array<{ gateway: string; location: string; ts: number }>,
) {
  await db.deleteFrom('readings').execute();
  const seqs = new Map<string, number>();
  const rows = spec.map((r) => {
    const seq = (seqs.get(r.gateway) ?? 0) + 1;
    seqs.set(r.gateway, seq);
    return {
      gateway_id: r.gateway,
      seq,
      sensor_id: `s-${r.location}`,
      location_id: r.location,
      ts: r.ts,
      temp_c: 5,
      rh: null,
      quality: 'ok',
      received_at: 0,
    };
  });
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('readings')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows.map(({ received_at: _, ...r }) => r);
}

/** Pages through every reading of the stays; returns each page. */
async function allPages(
  db: Kysely<Database>,
  stays: LotStay[],
  q: { fromTs?: number | undefined; toTs?: number | undefined; limit: number; chunk: number },
): Promise<StayReading[][]> {
  const pages: StayReading[][] = [];
  let after: ReadingCursor | undefined;
  for (;;) {
    const { rows, more } = await readingsDuringStays(db, stays, { ...q, after });
    pages.push(rows);
    const last = rows[rows.length - 1];
    if (!more || !last) return pages;
    after = { ts: last.ts, gatewayId: last.gateway_id, seq: last.seq };
    if (pages.length > 1000) throw new Error('paging does not end');
  }
}

/**
 * `readingsDuringStays` against a brute-force recomputation (random readings with tied timestamps, random
 * custody merged into stays that overlap across locations, random clipping, page sizes and chunk sizes),
 * and the plan of its range query. `open()` gives a migrated, empty store.
 */
export function readingsDuringStaysSuite(name: string, open: () => Promise<OpenedDatabase>, runs: number) {
  describe(`readingsDuringStays (${name})`, () => {
    let opened: OpenedDatabase;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => opened?.close());

    it('pages equal the naive recomputation, with no gap or repeat across pages and chunks', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(readingArb, { maxLength: 150, size: 'max' }),
          fc.array(custodyArb, { minLength: 1, maxLength: 8 }),
          fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
          fc.option(fc.integer({ min: 1, max: 61 }), { nil: undefined }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 6 }),
          async (spec, custody, fromTs, toTs, limit, chunk) => {
            const db = opened.db;
            const all = await storeReadings(db, spec);
            const intervals = custody
              .map((c) => ({
                epc: c.epc,
                location_id: c.location_id,
                entered_at: c.entered_at,
                left_at: c.len === null ? null : c.entered_at + c.len,
              }))
              .sort(
                (a, b) =>
                  (a.location_id < b.location_id ? -1 : a.location_id > b.location_id ? 1 : 0) ||
                  a.entered_at - b.entered_at,
              );
            const stays = mergeLotStays(intervals);
            const expected = naiveReadings(all, stays, { fromTs, toTs });
            const pages = await allPages(db, stays, { fromTs, toTs, limit, chunk });
            for (const p of pages.slice(0, -1)) expect(p).toHaveLength(limit);
            expect(pages.flat()).toEqual(expected);
          },
        ),
        { numRuns: runs },
      );
    });

    it('has data to page through: the precondition of the property (ties across chunk ends)', async () => {
      const all = await storeReadings(
        opened.db,
        Array.from({ length: 30 }, (_, i) => ({
          gateway: GATEWAYS[i % 3]!,
          location: 'loc-a',
          ts: Math.floor(i / 4),
        })),
      );
      const stays: LotStay[] = [{ locationId: 'loc-a', from: 0, to: null, units: 1 }];
      const pages = await allPages(opened.db, stays, { limit: 7, chunk: 3 });
      expect(pages.length).toBe(5);
      expect(pages.flat()).toEqual(naiveReadings(all, stays, {}));
    });
  });
}
