import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../../../src/store/db.js';
import { lotTracePage } from '../../../src/store/queries/lot-trace-page.js';
import { summaryCounts } from '../../../src/store/queries/summary-counts.js';
import type { Database } from '../../../src/store/schema.js';

/** Lots of `units` units, each with `locks` locks (some made at one time) and 4 custody intervals. */
export async function seedBacklog(
  db: Kysely<Database>,
  lots: number,
  units: number,
  locks: number,
): Promise<void> {
  const epc = (l: number, u: number) => `30${String(l).padStart(2, '0')}${String(u).padStart(20, '0')}`;
  for (let l = 0; l < lots; l++) {
    await db
      .insertInto('lots')
      .values({
        id: `lot-${l}`,
        gtin: '00614141000012',
        lot_number: `L${l}`,
        expiry: '2027-01-01',
        created_at: 0,
        updated_at: 0,
      })
      .execute();
    const unitRows = Array.from({ length: units }, (_, u) => ({
      epc: epc(l, u),
      lot_id: `lot-${l}`,
      commissioned_at: 0,
    }));
    for (let i = 0; i < unitRows.length; i += 500)
      await db
        .insertInto('epcs')
        .values(unitRows.slice(i, i + 500))
        .execute();
    const custody = unitRows.flatMap((u, k) =>
      [0, 1, 2, 3].map((s) => ({
        epc: u.epc,
        entered_at: 3 - s + k,
        left_at: s === 0 ? null : 4 - s + k,
        location_id: `loc-${s}`,
        gateway_id: 'gw-0',
        seq: s,
      })),
    );
    for (let i = 0; i < custody.length; i += 500)
      await db
        .insertInto('custody')
        .values(custody.slice(i, i + 500))
        .execute();
    // Odd lots only have locks; every third unit's locks share one creation time (made in one transaction).
    if (l % 2 === 0) continue;
    const lockRows = unitRows.flatMap((u, k) =>
      Array.from({ length: locks }, (_, j) => ({
        epc: u.epc,
        cause: 'excursion',
        rule_key: `ex-${(locks - j) * 7}`,
        excursion_id: `ex-${j}`,
        location_id: 'loc-0',
        exposed_from: j,
        exposed_to: j + 1,
        state: j % 5 === 4 ? 'released' : 'active',
        reason: 'exposed',
        created_at: k % 3 === 0 ? 100 : 100 + ((j * 37) % locks),
        updated_at: 100,
      })),
    );
    for (let i = 0; i < lockRows.length; i += 500)
      await db
        .insertInto('locks')
        .values(lockRows.slice(i, i + 500) as never)
        .execute();
  }
  // Locks of units never commissioned (no `epcs` row): counted, under no lot.
  await db
    .insertInto('locks')
    .values(
      [0, 1].map((j) => ({
        epc: 'FFFF0000',
        cause: 'excursion',
        rule_key: `ex-${j}`,
        excursion_id: `ex-${j}`,
        location_id: 'loc-0',
        exposed_from: 0,
        exposed_to: 1,
        state: 'active',
        reason: 'exposed',
        created_at: 5,
        updated_at: 5,
      })) as never,
    )
    .execute();
}

/**
 * The dashboard's lock counts and a lot's trace, as read, against a recomputation from every row of the
 * tables (docs/performance.md "Dashboard and trace with QA's backlog").
 */
export function backlogReadsSuite(name: string, open: () => Promise<OpenedDatabase>, units: number): void {
  describe(`dashboard counts and lot trace with a backlog of locks (${name})`, () => {
    it('count and trace what the tables hold', async () => {
      const { db, close } = await open();
      try {
        await seedBacklog(db, 4, units, 6);
        const allLocks = await db.selectFrom('locks').selectAll().execute();
        const allCustody = await db.selectFrom('custody').selectAll().execute();
        const lotOf = new Map(
          (await db.selectFrom('epcs').selectAll().execute()).map((e) => [e.epc, e.lot_id]),
        );
        const active = allLocks.filter((l) => l.state === 'active');
        const perLot = new Map<string, { units: Set<string>; since: number }>();
        for (const l of active) {
          const lot = lotOf.get(l.epc);
          if (lot === undefined) continue;
          const p = perLot.get(lot) ?? { units: new Set(), since: Number.MAX_SAFE_INTEGER };
          p.units.add(l.epc);
          p.since = Math.min(p.since, Number(l.created_at));
          perLot.set(lot, p);
        }
        const s = await summaryCounts(db, 50);
        expect(s.decisionsOutstanding).toBe(active.length);
        expect(s.lockedUnits).toBe(new Set(active.map((l) => l.epc)).size);
        expect(s.lotsWithLockedUnits).toBe(perLot.size);
        expect(s.lockedLots).toEqual(
          [...perLot.keys()].sort().map((lotId) => ({
            lotId,
            gtin: '00614141000012',
            lotNumber: `L${lotId.slice(4)}`,
            lockedUnits: perLot.get(lotId)!.units.size,
            totalUnits: units,
            lockedSince: perLot.get(lotId)!.since,
          })),
        );
        expect((await summaryCounts(db, 1)).lockedLots.map((l) => l.lotId)).toEqual(['lot-1']);

        // Pages of the trace of lot 1 (chunks of 500 units within a page) against every row, in their order.
        const byKey = <T extends { epc: string }>(rows: T[], keys: Array<keyof T>) =>
          rows.toSorted((a, b) => {
            for (const k of ['epc', ...keys] as Array<keyof T>) {
              // Numbers and strings alike (JavaScript's < on two of a kind).
              const x = a[k] as unknown as number;
              const y = b[k] as unknown as number;
              if (x !== y) return x < y ? -1 : 1;
            }
            return 0;
          });
        const epcs = [...lotOf.entries()]
          .filter(([, l]) => l === 'lot-1')
          .map(([e]) => e)
          .sort();
        let after: string | undefined;
        const seen: string[] = [];
        for (;;) {
          const page = await lotTracePage(db, 'lot-1', { after, limit: Math.ceil(units * 0.6) });
          expect(page.total).toBe(units);
          for (const u of page.units) {
            seen.push(u.epc);
            expect(u.custody).toEqual(
              byKey(
                allCustody.filter((c) => c.epc === u.epc),
                ['entered_at'],
              ),
            );
            expect(u.locks).toEqual(
              byKey(
                allLocks.filter((l) => l.epc === u.epc),
                ['created_at', 'cause', 'rule_key'],
              ),
            );
          }
          if (!page.more) break;
          after = page.units[page.units.length - 1]!.epc;
        }
        expect(seen).toEqual(epcs);
      } finally {
        await close();
      }
    });
  });
}
