import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LotStay } from '../../../src/domain/lot-stays.js';
import { CloudStore } from '../../../src/store/cloud-store.js';
import { openDatabase } from '../../../src/store/db.js';
import { sensorSpanAt } from '../../../src/store/location-sensors.js';
import { sensorBounds } from '../../../src/store/lot-reads.js';
import { stayEdges } from '../../../src/store/queries/lot-custody-mkt.js';
import { nearestInRanges } from '../../../src/store/queries/nearest-in-ranges.js';
import {
  NEAREST_PROBE_MS,
  type NearestSide,
  nearestQuery,
  nearestReading,
} from '../../../src/store/queries/nearest-reading.js';
import { recordedQueries, sentQueries } from '../../helpers/recorded-queries.js';
import { readingsBatch } from '../../helpers/records.js';

// On SQLite a sensor's readings are read within its location's range (migration 0043): a nearest-reading
// read with nothing on its side would walk every other sensor's rows at the location to the end of the
// history. It is bounded by the sensor's span there (location_sensors) and answers as the unbounded read.
const DAY = 86_400_000;
const HOUR = 3_600_000;
const JAN = Date.UTC(2026, 0, 1);
/** `brief` reports at room-1 on days 20–22 only (and at room-2 on days 40–42); `busy` all 60 days. */
const BRIEF = { from: JAN + 20 * DAY, to: JAN + 23 * DAY };

function history(): Reading[] {
  const out: Reading[] = [];
  const add = (sensorId: string, locationId: string, ts: number) =>
    out.push({
      seq: out.length + 1,
      sensorId,
      locationId,
      ts,
      tempC: [5, 12, 3][out.length % 3]!,
      quality: 'ok',
    });
  for (let ts = JAN; ts < JAN + 60 * DAY; ts += HOUR) {
    add('busy', 'room-1', ts);
    if (ts >= BRIEF.from && ts < BRIEF.to) add('brief', 'room-1', ts + 1);
    if (ts >= JAN + 40 * DAY && ts < JAN + 43 * DAY) add('brief', 'room-2', ts + 2);
  }
  return out;
}

/** The reads of `readings` among the statements sent. */
const readingReads = (queries: CompiledQuery[]) =>
  sentQueries(queries).filter((q) => /from "readings"/.test(q.sql));
/** Whether a read bounds `ts` on both sides (below with `>`/`>=`, above with `<`/`<=`). */
const twoSided = (q: CompiledQuery) => /"ts" >=? \?/.test(q.sql) && /"ts" <=? \?/.test(q.sql);

describe('nearest reading of a sensor on SQLite: bounded by its span at the location', () => {
  let dir: string;
  let store: CloudStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-nearest-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    await store.upsertGateway({ id: 'gw-1', now: JAN });
    const records = history();
    for (let i = 0; i < records.length; i += 500) {
      const part = records.slice(i, i + 500);
      await store.ingestReadings('gw-1', readingsBatch('gw-1', part) as ReadingsBatch, part.at(-1)!.ts);
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = (db: CloudStore['db'], sensorId: string) =>
    db
      .selectFrom('readings')
      .select(['ts', 'temp_c'])
      .where('sensor_id', '=', sensorId)
      .where('location_id', '=', 'room-1');
  const span = (db: CloudStore['db'], sensorId: string) => () => sensorSpanAt(db, 'room-1', sensorId);

  it("reads the sensor's span at the location, and none for a sensor that never reported there", async () => {
    expect(await sensorSpanAt(store.db, 'room-1', 'brief')).toEqual({
      first: BRIEF.from + 1,
      last: BRIEF.to - HOUR + 1,
    });
    expect(await sensorSpanAt(store.db, 'room-2', 'busy')).toBeNull();
  });

  it('answers as the unbounded read, on every side of times before, inside, between and after the spans', async () => {
    const times = [
      JAN - 10 * DAY,
      BRIEF.from,
      BRIEF.from + 1,
      BRIEF.to - HOUR + 1,
      BRIEF.to + 9 * DAY,
      JAN + 41 * DAY,
    ];
    for (let ts = JAN - DAY; ts < JAN + 62 * DAY; ts += 2 * DAY + 7 * 60_000) times.push(ts);
    let beyondProbe = 0;
    let none = 0;
    for (const sensorId of ['brief', 'busy', 'ghost'])
      for (const ts of times)
        for (const side of ['<', '>', '>='] as NearestSide[]) {
          const whole = await nearestQuery(rows(store.db, sensorId), side, ts, false).executeTakeFirst();
          expect(await nearestReading(rows(store.db, sensorId), side, ts, span(store.db, sensorId))).toEqual(
            whole,
          );
          if (whole === undefined) none++;
          else if (Math.abs(whole.ts - ts) >= NEAREST_PROBE_MS) beyondProbe++;
          // The in-range neighbours' reads (several sensors at once) answer the same.
          if (side === '>=') continue;
          const inRange = await nearestQuery(
            rows(store.db, sensorId).where('temp_c', '>=', 4).where('temp_c', '<=', 6),
            side,
            ts,
            false,
          ).executeTakeFirst();
          const [got] = await nearestInRanges(store.db, 'room-1', [{ sensorId, ts, minC: 4, maxC: 6 }], side);
          expect(got).toEqual(inRange?.ts);
        }
    // Both the fallback over the history and answers of no row were exercised.
    expect(beyondProbe).toBeGreaterThan(0);
    expect(none).toBeGreaterThan(0);
  });

  it("does not walk the location's history for a sensor with no reading on the side asked", async () => {
    const after = BRIEF.to + 9 * DAY;
    // The precondition: without its span the read over the history is sent, bounded on one side only.
    const plain = recordedQueries(store.db);
    expect(await nearestReading(rows(plain.db, 'brief'), '>=', after)).toBeUndefined();
    const unbounded = readingReads(plain.queries);
    expect(unbounded).toHaveLength(2);
    expect(twoSided(unbounded[1]!)).toBe(false);

    // With it, no read follows the empty probe: the span says there is nothing after.
    const spied = recordedQueries(store.db);
    expect(
      await nearestReading(rows(spied.db, 'brief'), '>=', after, span(spied.db, 'brief')),
    ).toBeUndefined();
    expect(readingReads(spied.queries)).toHaveLength(1);

    // Found beyond the probe, the read is bounded by the span's start.
    const found = recordedQueries(store.db);
    const before = await nearestReading(rows(found.db, 'brief'), '<', after, span(found.db, 'brief'));
    expect(before?.ts).toBe(BRIEF.to - HOUR + 1);
    const reads = readingReads(found.queries);
    expect(reads).toHaveLength(2);
    expect(twoSided(reads[1]!)).toBe(true);
  });

  it("the lot page's and the evaluation's edge reads pass the sensor's span", async () => {
    const { db, queries } = recordedQueries(store.db);
    const at = { from: BRIEF.to + 9 * DAY, to: BRIEF.to + 10 * DAY };
    await sensorBounds(db, 'room-1', 'brief', at.from, at.to);
    await stayEdges(db, { locationId: 'room-1', from: at.from, to: at.to } as LotStay, ['brief']);
    await nearestInRanges(db, 'room-1', [{ sensorId: 'brief', ts: at.to, minC: 2, maxC: 8 }], '>');
    const reads = readingReads(queries);
    // Each asked 'after' finds nothing (three probes, no walk); each 'before' one found beyond the probe.
    expect(reads.length).toBeGreaterThan(3);
    for (const q of reads)
      expect({ sql: q.sql, twoSided: twoSided(q) }).toEqual({ sql: q.sql, twoSided: true });
  });
});
