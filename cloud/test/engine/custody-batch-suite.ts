import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { excursionExposuresOf, rebuildCustody } from '../../src/domain/custody-reconcile.js';
import { deriveRepo } from '../../src/store/derive-repo.js';
import { claimMarks, deleteMarks, marksDb } from '../../src/store/evaluation-marks.js';
import { unitEpc } from '../domain/domain-fixtures.js';
import {
  type Ev,
  evaluateAll,
  type Harness,
  location,
  MIN,
  openHarness,
  pass,
  reading,
  sendAll,
  T0,
} from '../domain/harness.js';

// A chunk of units rebuilt together (reads and writes batched over the chunk) against the same units
// rebuilt one statement per unit, as the rebuild was written before batching: in one transaction, each
// unit's custody in order, then each unit's exposures in order. Same custody, locks, audit chain (hashes
// included, so the same entries in the same order) and outbox.

const LOCATIONS = ['a', 'b', 'c'] as const;

/**
 * Readings every 5 min for 2 h from the location's own gateway (`gw-a`, `gw-b`); `a` out of range 30–60 min,
 * `b` 70–100 min: one excursion each.
 */
function readings(at: 'a' | 'b'): Ev[] {
  const out: Ev[] = [];
  let seq = 1;
  for (let m = 0; m <= 120; m += 5) {
    const high = at === 'a' ? m >= 30 && m < 60 : m >= 70 && m < 100;
    out.push(reading(`gw-${at}`, seq++, `s-${at}`, at, T0 + m * MIN, high ? 12 : 5));
  }
  return out;
}

interface Move {
  unit: number;
  to: (typeof LOCATIONS)[number];
  minute: number;
  late: boolean;
}

const moveArb = fc.record({
  unit: fc.integer({ min: 1, max: 5 }),
  to: fc.constantFrom(...LOCATIONS),
  minute: fc.integer({ min: 0, max: 120 }),
  late: fc.boolean(),
});

const passes = (moves: readonly Move[], late: boolean) =>
  moves.flatMap((m, i) =>
    m.late === late
      ? [pass('gw-m', i + 1, unitEpc(m.unit), m.to === 'a' ? 'b' : 'a', m.to, T0 + m.minute * MIN)]
      : [],
  );

async function derivedState(h: Harness) {
  const db = h.engine.db;
  return {
    custody: await db.selectFrom('custody').selectAll().orderBy('epc').orderBy('entered_at').execute(),
    locks: await db.selectFrom('locks').selectAll().orderBy('epc').orderBy('rule_key').execute(),
    audit: await db
      .selectFrom('audit_log')
      .select(['seq', 'action', 'entity_type', 'entity_id', 'before_json', 'after_json', 'reason', 'hash'])
      .orderBy('seq')
      .execute(),
    outbox: await db.selectFrom('outbox').select(['event', 'payload']).orderBy('id').execute(),
  };
}

/** The rebuild one unit per statement: each unit's custody, then each unit's exposures (excursion rule). */
async function rebuildOneByOne(h: Harness, epcs: readonly string[]): Promise<void> {
  await h.engine.derive(async (trx, log, now) => {
    const claimed = await claimMarks(marksDb(trx), 'epc', epcs);
    const repo = deriveRepo(trx, log, now);
    for (const epc of epcs) await rebuildCustody(repo, [epc], log);
    for (const epc of epcs) await excursionExposuresOf(repo, [epc], log);
    await deleteMarks(marksDb(trx), claimed.ids);
  });
}

/**
 * The property on two fresh stores per run: SQLite files by default, or the databases `database` creates
 * (PostgreSQL: custody-batch.pg.svc.test.ts).
 */
export function runCustodyBatch(
  name: string,
  opts: { numRuns: number; database?: () => Promise<{ url: string; drop(): Promise<void> }> },
): void {
  describe(`custody rebuilt for a chunk of units (${name})`, () => {
    it('gives the same custody, locks, audit chain and events as one unit at a time', async () => {
      const seen = { lateRebuilds: 0, lockChanges: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(moveArb, { minLength: 1, maxLength: 14 }), async (moves) => {
          const dbs = opts.database ? [await opts.database(), await opts.database()] : [];
          const [batched, single] = [
            await openHarness({ url: dbs[0]?.url }),
            await openHarness({ url: dbs[1]?.url }),
          ];
          try {
            for (const h of [batched, single]) {
              for (const id of LOCATIONS) await location(h, id);
              for (const id of ['gw-a', 'gw-b', 'gw-m']) await h.store.upsertGateway({ id, now: T0 });
              // One location's readings evaluated before the next's: the two excursions are audited in the
              // same order in both stores (evaluated together, their order is the lanes' timing, and every
              // later hash of the chain would differ).
              for (const id of ['a', 'b'] as const) {
                await sendAll(h, readings(id));
                await evaluateAll(h);
              }
              await sendAll(h, passes(moves, false));
              await evaluateAll(h);
              await sendAll(h, passes(moves, true));
            }
            const before = (await derivedState(batched)).audit.length;
            const epcs = [...new Set(moves.map((m) => unitEpc(m.unit)))].sort();
            await batched.engine.reconcileEpcs(epcs);
            await rebuildOneByOne(single, epcs);
            const got = await derivedState(batched);
            expect(got).toEqual(await derivedState(single));
            const added = got.audit.slice(before);
            if (added.some((a) => a.reason.startsWith('late or out-of-order'))) seen.lateRebuilds++;
            if (added.some((a) => a.entity_type !== 'epc')) seen.lockChanges++;
          } finally {
            await batched.close();
            await single.close();
            for (const d of dbs) await d.drop();
          }
        }),
        {
          numRuns: opts.numRuns,
          // One unit moved back in time into `a` during its excursion: custody rebuilt out of order and a lock.
          examples: [
            [
              [
                { unit: 1, to: 'c', minute: 0, late: false },
                { unit: 1, to: 'b', minute: 90, late: false },
                { unit: 1, to: 'a', minute: 20, late: true },
              ],
            ],
          ],
        },
      );
      // Runs rebuilt custody out of order and changed locks (not only first movements).
      expect(seen.lateRebuilds).toBeGreaterThan(0);
      expect(seen.lockChanges).toBeGreaterThan(0);
    }, 120_000);
  });
}
