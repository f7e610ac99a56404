import type { Reading, ReadingsBatch } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bucketStart, ROLLUP_RESOLUTIONS } from '../../src/domain/reading-rollups.js';
import { bearer } from '../helpers/auth.js';
import { T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const H = 60 * MIN;
/** T0 is on the hour: the history starts at a bucket boundary of both resolutions. */
const START = bucketStart(T0, H);

const reading = (
  seq: number,
  sensorId: string,
  locationId: string,
  ts: number,
  tempC: number | null,
): Reading => ({
  seq,
  sensorId,
  locationId,
  ts,
  tempC,
  quality: tempC === null ? 'timeout' : 'ok',
});
const batchOf = (gatewayId: string, records: Reading[]): ReadingsBatch =>
  ({
    gatewayId,
    firstSeq: records[0]!.seq,
    lastSeq: records.at(-1)!.seq,
    sentAt: T0,
    records,
  }) as ReadingsBatch;

/**
 * GET /api/v1/readings/rollups (docs/architecture.md "Reading rollups") against the raw readings of
 * GET /api/v1/readings: a sensor read through gateway gw-a at room-1 for 3 hours, then through gw-b at
 * room-2 (a bucket holding both), another sensor beside it. On SQLite and PostgreSQL: `store()` gives the
 * cloud's database setting.
 */
export function readingRollupsApiSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
) {
  describe(`reading rollups API (HTTP, ${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };
    const get = async (url: string, status = 200) => {
      const res = await cloud.app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
      return res.json();
    };

    beforeAll(async () => {
      cloud = await startTestCloud(await store());
      viewer = await bearer(cloud, ['viewer']);
      const a = Array.from({ length: 180 }, (_, i) =>
        reading(
          i + 1,
          's1',
          'room-1',
          START + i * MIN,
          i % 13 === 0 ? null : Math.round(Math.cos(i / 9) * 500) / 100,
        ),
      );
      const other = Array.from({ length: 60 }, (_, i) => reading(i + 1, 's2', 'room-1', START + i * MIN, 30));
      const b = Array.from({ length: 40 }, (_, i) =>
        reading(i + 1, 's1', 'room-2', START + 170 * MIN + i * MIN, -2.5 + i / 10),
      );
      for (let i = 0; i < a.length; i += 50)
        await cloud.store.ingestReadings('gw-a', batchOf('gw-a', a.slice(i, i + 50)), T0);
      await cloud.store.ingestReadings('gw-c', batchOf('gw-c', other), T0);
      await cloud.store.ingestReadings('gw-b', batchOf('gw-b', b), T0);
      // A redelivery changes nothing.
      await cloud.store.ingestReadings('gw-a', batchOf('gw-a', a.slice(0, 50)), T0 + H);
    });
    afterAll(async () => {
      await cloud?.close();
    });

    it("answers a sensor's buckets as computed from its raw readings, at every location and gateway", async () => {
      const raw: Array<{ ts: number; tempC: number | null }> = await get(
        `/api/v1/readings?sensorId=s1&limit=100000`,
      );
      expect(raw).toHaveLength(220);
      for (const resolution of ['5m', '1h'] as const) {
        const width = ROLLUP_RESOLUTIONS[resolution];
        const want = new Map<number, number[]>();
        for (const r of raw) {
          if (r.tempC === null) continue;
          const s = bucketStart(r.ts, width);
          want.set(s, [...(want.get(s) ?? []), r.tempC]);
        }
        const got: Array<Record<string, number>> = await get(
          `/api/v1/readings/rollups?sensorId=s1&resolution=${resolution}`,
        );
        expect(got.map((b) => b.start)).toEqual([...want.keys()].sort((x, y) => x - y));
        for (const b of got) {
          const temps = want.get(b.start!)!;
          expect([b.end, b.minC, b.maxC, b.count]).toEqual([
            b.start! + width,
            Math.min(...temps),
            Math.max(...temps),
            temps.length,
          ]);
          expect(b.meanC).toBeCloseTo(temps.reduce((x, y) => x + y, 0) / temps.length, 9);
        }
      }
      // The third hour holds the sensor at both rooms: 56 readings with a value at room-1, 10 at room-2.
      const hours: Array<Record<string, number>> = await get(
        '/api/v1/readings/rollups?sensorId=s1&resolution=1h',
      );
      expect(hours.map((b) => b.count)).toEqual([55, 55, 56 + 10, 30]);
    });

    it('pages the buckets and keeps to [from, to), a bucket holding `from` included', async () => {
      const all = await get('/api/v1/readings/rollups?sensorId=s1&resolution=5m');
      expect(all).toHaveLength(42);
      const items: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; nextCursor: string | null } = await get(
          `/api/v1/readings/rollups?sensorId=s1&resolution=5m&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : '&paged=true'}`,
        );
        if (page.nextCursor !== null) expect(page.items).toHaveLength(10);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(items).toEqual(all);
      const window: Array<{ start: number }> = await get(
        `/api/v1/readings/rollups?sensorId=s1&resolution=5m&from=${START + 7 * MIN}&to=${START + 20 * MIN}`,
      );
      expect(window.map((b) => b.start)).toEqual([START + 5 * MIN, START + 10 * MIN, START + 15 * MIN]);
      expect(await get('/api/v1/readings/rollups?sensorId=nobody&resolution=1h')).toEqual([]);
    });

    it('refuses an unknown resolution and a cursor of another list', async () => {
      const bad = await get('/api/v1/readings/rollups?sensorId=s1&resolution=1d', 400);
      expect(bad.message).toMatch(/resolution/);
      const other = await get('/api/v1/readings/rollups?sensorId=s1&resolution=1h&cursor=WyJhIl0', 400);
      expect(other.message).toMatch(/cursor/);
    });
  });
}
