import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import {
  compareRollupKeys,
  type ReadingRollupRow,
  type RollupResolution,
  rollupRows,
} from '../../src/domain/reading-rollups.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import type { Database } from '../../src/store/schema.js';
import { T0 } from '../helpers/records.js';

const EPOCH = 'e000000000000001';
const HOUR = 3_600_000;

/** The stored rollups of some gateways, in key order, numbers as numbers. */
export async function storedRollups(db: Kysely<Database>, gateways: readonly string[]) {
  const rows = await db
    .selectFrom('reading_rollups')
    .selectAll()
    .where('gateway_id', 'in', gateways)
    .execute();
  return rows
    .map((r) => ({
      ...r,
      resolution: r.resolution as RollupResolution,
      bucket_start: Number(r.bucket_start),
      count: Number(r.count),
    }))
    .sort(compareRollupKeys);
}

/** The rollups recomputed from the raw `readings` rows of some gateways, in one pass per gateway. */
export async function recomputedRollups(
  db: Kysely<Database>,
  gateways: readonly string[],
): Promise<ReadingRollupRow[]> {
  const rows = await db
    .selectFrom('readings')
    .select(['gateway_id', 'sensor_id', 'location_id', 'ts', 'temp_c'])
    .where('gateway_id', 'in', gateways)
    .execute();
  return gateways
    .flatMap((gw) =>
      rollupRows(
        gw,
        rows
          .filter((r) => r.gateway_id === gw)
          .map((r) => ({
            sensorId: r.sensor_id,
            locationId: r.location_id,
            ts: Number(r.ts),
            tempC: r.temp_c,
          })),
      ),
    )
    .sort(compareRollupKeys);
}

/**
 * Stored and recomputed rollups are the same rows: keys, min, max and count exactly; the sums of doubles
 * added in another order (batch by batch, not in one pass) to within rounding.
 */
export function expectSameRollups(stored: ReadingRollupRow[], recomputed: ReadingRollupRow[]): void {
  const exact = (rows: ReadingRollupRow[]) => rows.map(({ sum_c: _, ...r }) => r);
  expect(exact(stored)).toEqual(exact(recomputed));
  stored.forEach((r, i) => {
    const want = recomputed[i]!;
    const bound = 1e-9 * Math.max(1, Math.abs(want.min_c), Math.abs(want.max_c)) * want.count;
    expect(Math.abs(r.sum_c - want.sum_c)).toBeLessThanOrEqual(bound);
  });
}

const reading = fc.record({
  gateway: fc.integer({ min: 0, max: 1 }),
  sensor: fc.integer({ min: 0, max: 2 }),
  location: fc.integer({ min: 0, max: 1 }),
  // Three hours around T0 in steps of 37 s: readings share 5-minute and hourly buckets and cross both.
  ts: fc.integer({ min: -100, max: 200 }).map((k) => T0 + k * 37_000),
  // Realistic values (0.01 °C); `+ 0` makes a rounded -0 a 0. One in six has no value (a faulty sensor).
  tempC: fc.option(
    fc.integer({ min: -4000, max: 6000 }).map((c) => c / 100 + 0),
    { nil: null, freq: 5 },
  ),
});

/**
 * A history and how it arrives: the readings (each gateway numbers its own from 1), redeliveries of
 * some of them, all deliveries in any order, cut into batches of any size.
 */
export const history = fc.array(reading, { minLength: 1, maxLength: 60 }).chain((recs) =>
  fc.array(fc.nat(recs.length - 1), { maxLength: recs.length }).chain((again) =>
    fc.record({
      recs: fc.constant(recs),
      deliveries: fc.shuffledSubarray([...recs.keys(), ...again], {
        minLength: recs.length + again.length,
      }),
      cuts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 20 }),
    }),
  ),
);

let runs = 0;

export type History = typeof history extends fc.Arbitrary<infer H> ? H : never;

/**
 * Ingests a history as it arrives: batches submitted together, so they share group commits; with several
 * stores (PostgreSQL: several ingestors on one database) dealt round robin. Each run has gateways and
 * locations of its own. Answers them.
 */
export async function deliverHistory(
  stores: readonly CloudStore[],
  { recs, deliveries, cuts }: History,
): Promise<{ gateways: string[]; locations: string[] }> {
  const run = ++runs;
  const gw = (g: number) => `gw-r${run}-${g}`;
  const room = (l: number) => `room-r${run}-${l}`;
  const next = [0, 0];
  const seqs = recs.map((r) => ++next[r.gateway]!);
  const asReading = (i: number): Reading => {
    const r = recs[i]!;
    return {
      seq: seqs[i]!,
      sensorId: `s${r.sensor}`,
      locationId: room(r.location),
      ts: r.ts,
      tempC: r.tempC,
      quality: r.tempC === null ? 'timeout' : 'ok',
    };
  };
  const batches: Array<[string, ReadingsBatch]> = [];
  let at = 0;
  for (let c = 0; at < deliveries.length; c++) {
    const chunk = deliveries.slice(at, at + cuts[c % cuts.length]!);
    at += chunk.length;
    // A batch names a number once (the wire contract, shared/src/batch.ts): a repeat within the chunk
    // is left to the other chunks that deliver it.
    const once = [...new Set(chunk)];
    for (const g of [0, 1]) {
      const records = once.filter((i) => recs[i]!.gateway === g).map(asReading);
      if (records.length === 0) continue;
      const s = records.map((r) => r.seq);
      batches.push([
        gw(g),
        {
          gatewayId: gw(g),
          epoch: EPOCH,
          firstSeq: Math.min(...s),
          lastSeq: Math.max(...s),
          sentAt: T0,
          records,
        } as ReadingsBatch,
      ]);
    }
  }
  await Promise.all(
    batches.map(([g, b], i) => stores[i % stores.length]!.ingestReadings(g, b, T0 + HOUR * 4 + i)),
  );
  return { gateways: [gw(0), gw(1)], locations: [room(0), room(1)] };
}

/**
 * The property (docs/architecture.md "Reading rollups"): whatever the order, batching and duplication of
 * deliveries, the rollups ingest maintained equal a recomputation from the raw readings table, and count
 * each distinct reading with a value once.
 */
export async function checkRollupProperty(stores: readonly CloudStore[], numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(history, async (h) => {
      const { gateways } = await deliverHistory(stores, h);
      const stored = await storedRollups(stores[0]!.db, gateways);
      const recomputed = await recomputedRollups(stores[0]!.db, gateways);
      expectSameRollups(stored, recomputed);
      // Each distinct reading with a value counted once per resolution, however often it was delivered.
      const withValue = h.recs.filter((r) => r.tempC !== null).length;
      const counted = (res: RollupResolution) =>
        stored.filter((r) => r.resolution === res).reduce((n, r) => n + r.count, 0);
      expect([counted('5m'), counted('1h')]).toEqual([withValue, withValue]);
    }),
    { numRuns },
  );
}
