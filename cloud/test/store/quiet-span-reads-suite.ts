import fc from 'fast-check';
import { expect } from 'vitest';
import { bucketStart, rollupRows } from '../../src/domain/reading-rollups.js';
import { PROOF_WIDTH_MS } from '../../src/domain/rollup-proof.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { derivedIn, proofBuckets, rawBuckets } from '../../src/store/quiet-span-reads.js';
import { listRows } from '../helpers/list-rows.js';

const W = PROOF_WIDTH_MS;
/** Around 1970 too: buckets before it are floored as `bucketStart` floors them. */
const T = 0;

const reading = fc.record({
  sensor: fc.constantFrom('s-1', 's-2'),
  location: fc.constantFrom('room', 'room', 'room', 'other'),
  gateway: fc.constantFrom('gw-a', 'gw-b'),
  ts: fc.integer({ min: -6 * W, max: 6 * W }),
  temp: fc.oneof(
    fc.integer({ min: -50, max: 150 }).map((t) => t / 10),
    fc.constant(null),
  ),
});
type Row = typeof reading extends fc.Arbitrary<infer R> ? R : never;

const key = (r: { sensorId: string; bucketStart: number }) => `${r.bucketStart}|${r.sensorId}`;
const sorted = <R extends { sensorId: string; bucketStart: number }>(rows: R[]) =>
  [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/**
 * The batched reads of the quiet-span proof (docs/architecture.md "Recovery") against a recomputation from
 * the rows written: per bucket and sensor, the location's raw rows (all, with a temperature) over any range
 * and its rollups (gateways summed, other locations left out); and whether derived rows lie in a range.
 */
export async function checkQuietSpanReads(store: CloudStore, runs: number): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(reading, { maxLength: 60 }),
      fc.integer({ min: -7 * W, max: 7 * W }),
      fc.integer({ min: 0, max: 14 * W }),
      async (rows, from, length) => {
        n++;
        const room = `room-${n}`;
        const at = (r: Row) => (r.location === 'room' ? room : `other-${n}`);
        const stored = rows.map((r, i) => ({
          gateway_id: r.gateway,
          seq: n * 1000 + i,
          sensor_id: r.sensor,
          location_id: at(r),
          ts: T + r.ts,
          temp_c: r.temp,
          rh: null,
          quality: 'ok',
          received_at: 0,
        }));
        if (stored.length) await store.db.insertInto('readings').values(stored).execute();
        for (const gateway of ['gw-a', 'gw-b']) {
          const known = stored
            .filter((r) => r.gateway_id === gateway && r.temp_c !== null)
            .map((r) => ({ sensorId: r.sensor_id, locationId: r.location_id, ts: r.ts, tempC: r.temp_c }));
          const rollups = rollupRows(gateway, known);
          if (rollups.length) await store.db.insertInto('reading_rollups').values(rollups).execute();
        }
        const to = from + length;
        const mine = stored.filter((r) => r.location_id === room);

        const raw = new Map<string, { sensorId: string; bucketStart: number; all: number; known: number }>();
        for (const r of mine.filter((x) => x.ts >= from && x.ts < to)) {
          const b = { sensorId: r.sensor_id, bucketStart: bucketStart(r.ts, W), all: 0, known: 0 };
          const cur = raw.get(key(b)) ?? b;
          cur.all++;
          if (r.temp_c !== null) cur.known++;
          raw.set(key(b), cur);
        }
        expect(sorted(await rawBuckets(store.db, room, from, to))).toEqual(sorted([...raw.values()]));

        const rolled = new Map<
          string,
          { sensorId: string; bucketStart: number; min: number; max: number; count: number }
        >();
        for (const r of mine) {
          const b = bucketStart(r.ts, W);
          if (r.temp_c === null || b < from || b > to) continue;
          const k = key({ sensorId: r.sensor_id, bucketStart: b });
          const cur = rolled.get(k);
          rolled.set(k, {
            sensorId: r.sensor_id,
            bucketStart: b,
            min: Math.min(cur?.min ?? r.temp_c, r.temp_c),
            max: Math.max(cur?.max ?? r.temp_c, r.temp_c),
            count: (cur?.count ?? 0) + 1,
          });
        }
        expect(sorted(await proofBuckets(store.db, room, from, to))).toEqual(sorted([...rolled.values()]));
      },
    ),
    { numRuns: runs },
  );
}

/** `derivedIn`: an excursion touching the range (by its end, or its last reading while open) or a gap overlapping it. */
export async function checkDerivedIn(store: CloudStore): Promise<void> {
  const room = 'derived-room';
  const span = { from: 10 * W, to: 20 * W };
  const inSpan = () => derivedIn(store.db, room, span.from, span.to);
  expect(await inSpan()).toBe(false);
  const id = `${room}@1`;
  await listRows(store.db).excursion(id, room, 2 * W, 5 * W);
  // Ends before the range: not in it; another location's gap over it: not either.
  await store.db
    .insertInto('monitoring_gaps')
    .values({ location_id: 'elsewhere', sensor_id: 's-1', from_ts: 0, to_ts: 30 * W })
    .execute();
  expect(await inSpan()).toBe(false);
  await store.db
    .updateTable('excursions')
    .set({ end_ts: null, last_ts: 10 * W })
    .where('id', '=', id)
    .execute();
  expect(await inSpan()).toBe(true);
  await store.db.deleteFrom('excursions').where('id', '=', id).execute();
  expect(await inSpan()).toBe(false);
  await store.db
    .insertInto('monitoring_gaps')
    .values({ location_id: room, sensor_id: 's-2', from_ts: 20 * W, to_ts: 25 * W })
    .execute();
  expect(await inSpan()).toBe(true);
}
