import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessLot } from '../../src/domain/lot-assessment.js';
import type { OpenedDatabase } from '../../src/store/db.js';
import { widenLocationSensors } from '../../src/store/location-sensors.js';
import { LotAssessmentCache, type LotView } from '../../src/store/lot-assessment-cache.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { lotCustodyMkt } from '../../src/store/queries/lot-custody-mkt.js';
import type { Database } from '../../src/store/schema.js';

const MIN = 60_000;
const T = 1_000 * MIN;
const RULES = JSON.stringify([{ kind: 'above', thresholdC: 8, limitMs: 10 * MIN }]);

let seq = 0;
const reading = (location: string, sensor: string, ts: number, tempC: number | null) => ({
  gateway_id: 'gw-1',
  seq: ++seq,
  sensor_id: sensor,
  location_id: location,
  ts,
  temp_c: tempC,
  rh: null,
  quality: 'ok',
  received_at: 0,
});
const at = (minutes: number) => T + minutes * MIN;

/**
 * Stores readings as every path that stores them does: with the sensor spans covering them
 * (`location_sensors`, 0042) in the same transaction.
 */
const storeReadings = (db: Kysely<Database>, rows: ReadonlyArray<ReturnType<typeof reading>>) =>
  db.transaction().execute(async (trx) => {
    await trx
      .insertInto('readings')
      .values([...rows])
      .execute();
    await widenLocationSensors(trx, rows);
  });
const custody = (epc: string, location: string, from: number, to: number | null) => ({
  epc,
  location_id: location,
  entered_at: at(from),
  left_at: to === null ? null : at(to),
  gateway_id: 'gw-1',
  seq: ++seq,
});
const lock = (epc: string, over: Partial<Record<string, unknown>> = {}) => ({
  epc,
  rule_key: 'X1',
  excursion_id: 'X1',
  location_id: 'loc-a',
  exposed_from: at(20),
  exposed_to: at(30),
  state: 'active',
  reason: 'excursion X1',
  disposition_id: null,
  cause: 'excursion',
  hold_reason: null,
  created_at: 0,
  updated_at: 0,
  ...over,
});

/**
 * Lot L1 (product G1: 2–8 °C, with or without a cumulative rule above 8 °C, whose exposure reads the
 * readings of the units' stays on their own path), units E1 and E2: at loc-a for an hour, then
 * at loc-b (still there). loc-a has sensors sa1 (a 10 °C spike from +20.5 to +30 min) and sa2 (silent
 * after +59.5 min); loc-b has sb1; loc-c (sc1) holds nothing of the lot. Readings every minute at :30 s.
 * Both units hold an active excursion lock X1 at loc-a, exposed over [+20, +30) min. Lot L2 (product G2)
 * has one unit elsewhere.
 */
async function seed(db: Kysely<Database>, rules: string): Promise<void> {
  const product = (gtin: string, name: string) => ({
    gtin,
    name,
    min_c: 2,
    max_c: 8,
    stability_budget_ms: 60 * MIN,
    cumulative_rules: rules,
    created_at: 0,
    updated_at: 0,
  });
  await db
    .insertInto('products')
    .values([product('G1', 'Vaccine'), product('G2', 'Insulin')])
    .execute();
  const lotRow = (id: string, gtin: string) => ({
    id,
    gtin,
    lot_number: id,
    expiry: '2030-01-01',
    created_at: 0,
    updated_at: 0,
  });
  await db
    .insertInto('lots')
    .values([lotRow('L1', 'G1'), lotRow('L2', 'G2')])
    .execute();
  await db
    .insertInto('epcs')
    .values(['E1', 'E2'].map((epc) => ({ epc, lot_id: 'L1', commissioned_at: 0 })))
    .execute();
  await db.insertInto('epcs').values({ epc: 'F1', lot_id: 'L2', commissioned_at: 0 }).execute();
  await db
    .insertInto('custody')
    .values([
      custody('E1', 'loc-a', 0, 60),
      custody('E1', 'loc-b', 60, null),
      custody('E2', 'loc-a', 0, 60),
      custody('E2', 'loc-b', 60, null),
      custody('F1', 'loc-c', 0, null),
    ])
    .execute();
  const rows = [];
  for (let m = -10; m <= 120; m++) {
    const ts = at(m + 0.5);
    rows.push(reading('loc-a', 'sa1', ts, m >= 20 && m < 30 ? 10 : 5));
    if (m < 60) rows.push(reading('loc-a', 'sa2', ts, 4));
    rows.push(reading('loc-b', 'sb1', ts, 6));
    rows.push(reading('loc-c', 'sc1', ts, 3));
  }
  for (let i = 0; i < rows.length; i += 100) await storeReadings(db, rows.slice(i, i + 100));
  await db
    .insertInto('locks')
    .values([lock('E1'), lock('E2')])
    .execute();
}

/** The assessment as computed without the cache (what the route answered before it). */
async function uncached(db: Kysely<Database>, lotId: string): Promise<LotView | undefined> {
  const a = await assessLot(lotReads(db), lotId);
  return a && { ...a, custodyMktC: await lotCustodyMkt(db, lotId) };
}

type Change = (db: Kysely<Database>) => Promise<unknown>;
const insertReading =
  (location: string, sensor: string, minutes: number, tempC: number | null): Change =>
  (db) =>
    storeReadings(db, [reading(location, sensor, at(minutes), tempC)]);

/**
 * Every input of a lot's assessment (docs/architecture.md "Lot assessment cache"): the readings of the
 * lot's stays and of its exposure windows (inside, and each sensor's edges), custody, locks and their
 * states, the product's row, rules and specification versions, the lot's units and its product.
 */
const AFFECTING: Array<[string, Change]> = [
  ['a late reading inside a closed stay', insertReading('loc-a', 'sa1', 45.25, 20)],
  ['a reading inside an exposure window', insertReading('loc-a', 'sa2', 25.25, 20)],
  [
    'a reading that becomes a sensor’s last known one before a window',
    insertReading('loc-a', 'sa2', 19.75, 20),
  ],
  [
    'a reading that becomes a sensor’s last known one before a stay',
    insertReading('loc-b', 'sb1', 59.75, 15),
  ],
  [
    'the first reading after a closed stay (the last one inside now holds to its end)',
    insertReading('loc-a', 'sa2', 61, 4),
  ],
  [
    'a new sensor at a lot’s location during a stay',
    async (db) => {
      await insertReading('loc-a', 'sa3', 40, 30)(db);
      await insertReading('loc-a', 'sa3', 41, 30)(db);
    },
  ],
  [
    // No reading inside a stay or window: only the window's sensor set (which sensors read at the location
    // since its start) sees it, and the sensor's reading before the window now holds across it.
    'a sensor new to a window’s location, reading before the lot came and after it left',
    async (db) => {
      await insertReading('loc-a', 'sa4', -5, 10)(db);
      await insertReading('loc-a', 'sa4', 61, 5)(db);
    },
  ],
  ['a new reading in the open stay', insertReading('loc-b', 'sb1', 121, 9)],
  [
    'a unit moves',
    async (db) => {
      await db
        .updateTable('custody')
        .set({ left_at: at(100) })
        .where('epc', '=', 'E1')
        .where('left_at', 'is', null)
        .execute();
      await db
        .insertInto('custody')
        .values(custody('E1', 'loc-c', 100, null))
        .execute();
    },
  ],
  [
    'a lock released (a disposition)',
    (db) => db.updateTable('locks').set({ state: 'released' }).where('epc', '=', 'E1').execute(),
  ],
  [
    'a lock lifted',
    (db) => db.updateTable('locks').set({ state: 'lifted' }).where('epc', '=', 'E2').execute(),
  ],
  [
    'an exposure window extended',
    (db) =>
      db
        .updateTable('locks')
        .set({ exposed_to: at(35) })
        .execute(),
  ],
  [
    'a new lock (a cumulative rule, released)',
    (db) =>
      db
        .insertInto('locks')
        .values(
          lock('E1', {
            cause: 'cumulative',
            rule_key: 'L1:above:8:600000',
            excursion_id: null,
            state: 'released',
          }),
        )
        .execute(),
  ],
  [
    'a lock rejected (a disposition)',
    (db) => db.updateTable('locks').set({ state: 'rejected' }).where('epc', '=', 'E2').execute(),
  ],
  [
    'the product’s limits',
    (db) => db.updateTable('products').set({ max_c: 12 }).where('gtin', '=', 'G1').execute(),
  ],
  [
    'the product’s stability budget',
    (db) => db.updateTable('products').set({ stability_budget_ms: MIN }).where('gtin', '=', 'G1').execute(),
  ],
  [
    'the product’s cumulative rules',
    (db) =>
      db
        .updateTable('products')
        .set({ cumulative_rules: JSON.stringify([{ kind: 'above', thresholdC: 8, limitMs: 5 * MIN }]) })
        .where('gtin', '=', 'G1')
        .execute(),
  ],
  [
    'a specification version of the product',
    (db) =>
      db
        .insertInto('spec_versions')
        .values({
          subject_kind: 'product',
          subject_id: 'G1',
          version: 1,
          effective_from: null,
          spec_json: JSON.stringify({ minC: 2, maxC: 12, stabilityBudgetMs: 60 * MIN, cumulativeRules: [] }),
          kind: 'initial',
          replaced_by: null,
          created_at: 0,
          actor: 'qa',
          reason: 'test',
        })
        .execute(),
  ],
  [
    'a unit commissioned to the lot',
    async (db) => {
      await db.insertInto('epcs').values({ epc: 'E3', lot_id: 'L1', commissioned_at: 0 }).execute();
      await db
        .insertInto('custody')
        .values(custody('E3', 'loc-c', 0, null))
        .execute();
    },
  ],
  [
    'a unit moved to another lot',
    (db) => db.updateTable('epcs').set({ lot_id: 'L2' }).where('epc', '=', 'E2').execute(),
  ],
  ['the lot’s product', (db) => db.updateTable('lots').set({ gtin: 'G2' }).where('id', '=', 'L1').execute()],
];

/** Changes that do not affect L1's assessment: the cache keeps answering, and still equals a fresh computation. */
const NOT_AFFECTING: Array<[string, Change]> = [
  ['a reading at a location the lot never was at', insertReading('loc-c', 'sc1', 45.25, 30)],
  [
    'a reading at a lot location long after the lot left (past every edge)',
    insertReading('loc-a', 'sa1', 200, 30),
  ],
  ['a reading at a lot location before every edge', insertReading('loc-a', 'sa1', -100, 30)],
  [
    'another lot’s unit moves',
    (db) => db.updateTable('custody').set({ location_id: 'loc-b' }).where('epc', '=', 'F1').execute(),
  ],
  // A hold keeps its lock active; the assessment counts lock states, not holds (GET /quantity-holds shows them).
  ['a lock held', (db) => db.updateTable('locks').set({ hold_reason: 'specification change' }).execute()],
  [
    'another product’s limits',
    (db) => db.updateTable('products').set({ max_c: 12 }).where('gtin', '=', 'G2').execute(),
  ],
];

export function lotAssessmentCacheSuite(name: string, open: () => Promise<OpenedDatabase>): void {
  describe.each([
    ['with a cumulative rule', RULES],
    ['without cumulative rules', '[]'],
  ])(`lot assessment cache (${name}), product %s`, (_, rules) => {
    // One database per product variant, emptied and seeded again by each test.
    let opened: OpenedDatabase;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(() => opened.close());
    const seeded = async () => {
      for (const t of [
        'readings',
        'location_sensors',
        'custody',
        'locks',
        'epcs',
        'lots',
        'products',
        'spec_versions',
      ] as const)
        await opened.db.deleteFrom(t).execute();
      await seed(opened.db, rules);
      return opened.db;
    };
    const warm = async (db: Kysely<Database>) => {
      const cache = new LotAssessmentCache(db);
      const first = await cache.assess('L1');
      expect(first).toEqual(await uncached(db, 'L1'));
      // Precondition: an unchanged store is answered from memory.
      expect(await cache.assess('L1')).toEqual(first);
      expect(cache.stats).toEqual({ hits: 1, misses: 1 });
      return { cache, first: first! };
    };

    it.each(AFFECTING)('recomputes after %s', async (_, change) => {
      const db = await seeded();
      const { cache, first } = await warm(db);
      await change(db);
      const fresh = await uncached(db, 'L1');
      // The change matters: a stale answer would differ from a fresh one.
      expect(fresh).not.toEqual(first);
      expect(await cache.assess('L1')).toEqual(fresh);
      expect(cache.stats.misses).toBe(2);
    });

    it.each(NOT_AFFECTING)('keeps answering after %s', async (_, change) => {
      const db = await seeded();
      const { cache, first } = await warm(db);
      await change(db);
      expect(await cache.assess('L1')).toEqual(first);
      expect(await uncached(db, 'L1')).toEqual(first);
      expect(cache.stats).toEqual({ hits: 2, misses: 1 });
    });

    it('answers undefined for an unknown lot and keeps lots apart', async () => {
      const db = await seeded();
      const cache = new LotAssessmentCache(db, 1);
      expect(await cache.assess('NOPE')).toBeUndefined();
      expect(await cache.assess('L2')).toEqual(await uncached(db, 'L2'));
      expect(await cache.assess('L1')).toEqual(await uncached(db, 'L1'));
      // Room for one lot: L2 went, L1 stayed.
      await cache.assess('L1');
      await cache.assess('L2');
      expect(cache.stats).toEqual({ hits: 1, misses: 4 });
    });

    it('equals the uncached computation after any sequence of readings (property)', async () => {
      const db = await seeded();
      const cache = new LotAssessmentCache(db);
      let unique = 0;
      const step = fc.record({
        location: fc.constantFrom('loc-a', 'loc-b', 'loc-c'),
        sensor: fc.constantFrom('s1', 'sa1', 'sa2', 'sb1'),
        quarter: fc.integer({ min: -20 * 4, max: 140 * 4 }),
        tempC: fc.option(fc.integer({ min: -5, max: 25 }), { nil: null }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
          for (const s of steps) {
            // Off the seeded :30 s grid and unique, so no two readings of a sensor share a timestamp.
            const ts = at(s.quarter / 4) + 7 + ++unique;
            await storeReadings(db, [reading(s.location, s.sensor, ts, s.tempC)]);
            expect(await cache.assess('L1')).toEqual(await uncached(db, 'L1'));
          }
        }),
        { numRuns: 25 },
      );
      expect(cache.stats.misses).toBeGreaterThan(1);
    });
  });
}
