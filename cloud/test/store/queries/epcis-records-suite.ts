import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../../../src/store/db.js';
import { epcisPasses } from '../../../src/store/queries/epcis-records.js';

const GATEWAYS = ['gw-1', 'gw-2', 'gw-10'];
/** 1,100 EPCs asked for: three `IN` chunks; the movements' EPCs lie in different chunks. */
const ASKED = Array.from({ length: 1100 }, (_, i) => `E${String(i).padStart(4, '0')}`);
const MOVING = ['E0003', 'E0250', 'E0512', 'E0777', 'E1050', 'X-NOT-ASKED'];

const movementArb = fc.record({
  gateway: fc.constantFrom(...GATEWAYS),
  epc: fc.constantFrom(...MOVING),
  kind: fc.constantFrom('pass', 'pass', 'pass', 'scan'),
  from: fc.option(fc.constantFrom('loc-a', 'loc-b'), { nil: null, freq: 4 }),
  to: fc.constantFrom('loc-a', 'loc-b', 'loc-c'),
  direction: fc.constantFrom('in', 'out', null),
  // A narrow time range so times repeat within and across chunks.
  ts: fc.integer({ min: 0, max: 20 }),
});

/**
 * `epcisPasses` against its meaning by brute force: the passes with a known origin of the asked EPCs (all
 * when null), in store order (time, gateway, sequence) whatever chunk of the `IN` list each came from.
 * `open()` gives a migrated, empty store.
 */
export function epcisRecordsSuite(name: string, open: () => Promise<OpenedDatabase>, runs: number) {
  describe(`EPCIS passes query (${name})`, () => {
    let opened: OpenedDatabase;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => opened?.close());

    it('equals the store-ordered, filtered movements, across IN chunks', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(movementArb, { maxLength: 80 }), fc.boolean(), async (spec, everyEpc) => {
          const db = opened.db;
          await db.deleteFrom('movements').execute();
          const seqs = new Map<string, number>();
          const rows = spec.map((m) => {
            const seq = (seqs.get(m.gateway) ?? 0) + 1;
            seqs.set(m.gateway, seq);
            return {
              gateway_id: m.gateway,
              seq,
              epc: m.epc,
              portal_id: `door-${m.to}`,
              kind: m.kind,
              from_location: m.from,
              to_location: m.to,
              direction: m.direction,
              ts: m.ts,
              first_seen: m.ts,
              last_seen: m.ts,
              reads: 1,
              peak_rssi: -50,
              received_at: 0,
            };
          });
          if (rows.length) await db.insertInto('movements').values(rows).execute();
          const asked = everyEpc ? null : ASKED;
          const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
          const expected = rows
            .filter((r) => r.kind === 'pass' && r.from_location !== null && (!asked || asked.includes(r.epc)))
            .sort((a, b) => a.ts - b.ts || cmp(a.gateway_id, b.gateway_id) || a.seq - b.seq)
            .map((r) => ({
              epc: r.epc,
              portalId: r.portal_id,
              from: r.from_location,
              to: r.to_location,
              direction: r.direction,
              ts: r.ts,
            }));
          expect(await epcisPasses(db, asked, 1_000_000)).toEqual(expected);
        }),
        { numRuns: runs },
      );
    });
  });
}
