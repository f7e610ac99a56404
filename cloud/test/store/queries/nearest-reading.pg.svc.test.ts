import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import type { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CloudStore } from '../../../src/store/cloud-store.js';
import { sensorBounds } from '../../../src/store/lot-reads.js';
import { monthIndexOf } from '../../../src/store/partition-months.js';
import { stayEdges } from '../../../src/store/queries/lot-custody-mkt.js';
import {
  NEAREST_PROBE_MS,
  type NearestSide,
  nearestQuery,
  nearestReading,
} from '../../../src/store/queries/nearest-reading.js';
import { maintainReadingPartitions } from '../../../src/store/reading-partitions.js';
import { windowReads } from '../../../src/store/window-reads.js';
import { pgPlan } from '../../helpers/pg-plan.js';
import { recordedQueries, sentQueries } from '../../helpers/recorded-queries.js';
import { readingsBatch } from '../../helpers/records.js';
import { perTestPg } from '../pg-fresh.js';

// docs/operations.md "Partitions of readings": the nearest reading before or after a time is looked for in
// the week around it first, so PostgreSQL plans one or two month partitions, not the whole history.
// Needs PostgreSQL (deploy/dev-services.sh).
const DAY = 86_400_000;
const JAN = Date.UTC(2026, 0, 1);
const GAP = { from: Date.UTC(2026, 5, 1), to: Date.UTC(2026, 5, 25) };

const pgs = perTestPg();

/** Fourteen month partitions (January 2026 on), and a reading every 6 hours from mid-January to mid-November but 24 days in June. */
async function history() {
  const { store } = await pgs.store();
  await store.upsertGateway({ id: 'gw-1', now: JAN });
  const first = monthIndexOf(JAN);
  await maintainReadingPartitions(store.db, { months: Array.from({ length: 14 }, (_, i) => first + i) });
  const records: Reading[] = [];
  for (let ts = Date.UTC(2026, 0, 15); ts < Date.UTC(2026, 10, 15); ts += 6 * 3_600_000) {
    if (ts >= GAP.from && ts < GAP.to) continue;
    const seq = records.length + 1;
    records.push({
      seq,
      sensorId: 's1',
      locationId: 'room-1',
      ts,
      tempC: [5, 12, 3][seq % 3]!,
      quality: 'ok',
    });
  }
  for (let i = 0; i < records.length; i += 500) {
    const part = records.slice(i, i + 500);
    await store.ingestReadings('gw-1', readingsBatch('gw-1', part) as ReadingsBatch, part.at(-1)!.ts);
  }
  return { store, records };
}

/** The store again, its queries recorded as compiled. */
function recorded(store: CloudStore) {
  const { db, queries } = recordedQueries(store.db);
  return { spy: new CloudStore({ ...store.opened, db }), queries };
}

/** The month partitions (and default one) a query's plan reads. */
async function partitionsOf(store: CloudStore, q: CompiledQuery) {
  const plan = await pgPlan(store.db, { compile: () => q });
  return [...plan.matchAll(/ on (readings_(?:y\d{4}m\d{2}|default))/g)].map((m) => m[1]);
}

describe('nearest reading over partitioned readings (PostgreSQL)', () => {
  it('answers as the unbounded read, on either side of any time, across a gap longer than the probe', async () => {
    const { store } = await history();
    const s1 = () =>
      store.db
        .selectFrom('readings')
        .select(['ts', 'temp_c'])
        .where('sensor_id', '=', 's1')
        .where('location_id', '=', 'room-1');
    const inRange = () => s1().where('temp_c', '>=', 2).where('temp_c', '<=', 8);
    const times = [JAN - 40 * DAY, GAP.from + 3 * DAY, GAP.to - DAY, GAP.to + 1, Date.UTC(2026, 11, 20)];
    for (let ts = JAN; ts < Date.UTC(2026, 11, 1); ts += 9 * DAY + 3_600_001) times.push(ts);
    let fellBack = 0;
    for (const ts of times)
      for (const side of ['<', '>', '>='] as NearestSide[])
        for (const q of [s1, inRange]) {
          const whole = await nearestQuery(q(), side, ts, false).executeTakeFirst();
          expect(await nearestReading(q(), side, ts)).toEqual(whole);
          if (whole !== undefined && Math.abs(Number(whole.ts) - ts) >= NEAREST_PROBE_MS) fellBack++;
        }
    // The probe's fallback was exercised: answers beyond the week (across the gap, before and after all data).
    expect(fellBack).toBeGreaterThan(0);
  });

  it("plans one month for the lot page's and the evaluation's edge reads and a stored duplicate's lookup", async () => {
    const { store, records } = await history();
    const { spy, queries } = recorded(store);
    const july = Date.UTC(2026, 6, 20);
    await sensorBounds(spy.db, 'room-1', 's1', july, july + DAY);
    await stayEdges(spy.db, { locationId: 'room-1', from: july, to: july + DAY } as never, ['s1']);
    const reads = windowReads(spy.db);
    await reads.nearestInRange('room-1', [{ sensorId: 's1', ts: july, minC: 2, maxC: 8 }], 'before');
    await reads.nearestInRange('room-1', [{ sensorId: 's1', ts: july, minC: 2, maxC: 8 }], 'after');
    // A batch delivered again: each of its readings is compared with the one stored under its number.
    const again = records.slice(700, 710);
    await spy.ingestReadings('gw-1', readingsBatch('gw-1', again) as ReadingsBatch, july);
    // The plugin also sees a subquery on its own as it is built (the evaluation's nearest reads are one):
    // only the statements sent count.
    const sent = sentQueries(queries);
    const onReadings = sent.filter((q) => /from "readings"/.test(q.sql) && !/^insert/i.test(q.sql));
    expect(onReadings.length).toBe(6 + again.length);
    for (const q of onReadings) {
      const parts = await partitionsOf(store, q);
      expect({ sql: q.sql, parts: parts.length }).toEqual({ sql: q.sql, parts: 1 });
    }
    // The precondition: the same reads without their time bound plan every month before July and the default.
    const unbounded = await partitionsOf(
      store,
      nearestQuery(
        store.db.selectFrom('readings').select('ts').where('sensor_id', '=', 's1'),
        '<',
        july,
        false,
      ).compile(),
    );
    expect(unbounded.length).toBe(8);
  });
});
