import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 0, 1);

/**
 * GET /readings, /movements and /alarms paged with a cursor (docs/architecture.md "Lists and paging"):
 * `limit` alone answers the array it always did; `paged=true` or `cursor` answers `{ items, nextCursor }`
 * pages whose concatenation is that array, filters included; records sharing a time are ordered by gateway
 * and sequence, so none is skipped or repeated across a page boundary, and a reading stored while a client
 * pages appears at most once. On SQLite (telemetry-paging-api.int.test.ts) and PostgreSQL
 * (telemetry-paging-api.pg.svc.test.ts).
 */
export function telemetryPagingApiSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`GET /readings, /movements, /alarms paged (HTTP, ${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };

    const call = (url: string) => cloud.app.inject({ method: 'GET', url, headers: viewer });
    const get = async (url: string) => {
      const res = await call(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json();
    };
    type Item = { gatewayId: string; seq: number; ts: number };
    /** Every page of `url` (a query string included) with `limit`, following nextCursor. */
    const allPages = async (url: string, limit: number) => {
      const items: Item[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: Item[]; nextCursor: string | null } = await get(
          `${url}&limit=${limit}&${cursor ? `cursor=${encodeURIComponent(cursor)}` : 'paged=true'}`,
        );
        expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
        if (page.nextCursor !== null) expect(page.items).toHaveLength(limit);
        items.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      return { items, pages };
    };
    const key = (r: Item) => `${r.gatewayId}/${r.seq}`;

    const insert = (rows: Array<{ gw: string; seq: number; ts: number; loc: string; sensor: string }>) =>
      cloud.store.db
        .insertInto('readings')
        .values(
          rows.map((r) => ({
            gateway_id: r.gw,
            seq: r.seq,
            sensor_id: r.sensor,
            location_id: r.loc,
            ts: r.ts,
            temp_c: 5,
            rh: null,
            quality: 'ok',
            received_at: r.ts,
          })),
        )
        .execute();

    beforeAll(async () => {
      cloud = await startTestCloud(await store());
      viewer = await bearer(cloud, ['viewer']);
      // 3 gateways reporting at the same minutes (ties on ts), 2 locations, a sensor per gateway; gw-b's sensor
      // moves from the truck to the room halfway (a sensor's readings at two locations).
      const rows = [];
      for (let m = 0; m < 12; m++)
        for (const [i, gw] of ['gw-c', 'gw-a', 'gw-b'].entries())
          rows.push({
            gw,
            seq: m + 1,
            ts: T0 + m * 60_000,
            loc: i === 2 && m < 6 ? 'truck' : 'room',
            sensor: `s-${gw}`,
          });
      await insert(rows);
      // Movements and alarms of 3 gateways at shared times.
      const movements = [];
      const alarms = [];
      for (let m = 0; m < 6; m++)
        for (const [i, gw] of ['gw-c', 'gw-a', 'gw-b'].entries()) {
          const ts = T0 + m * 60_000;
          movements.push({
            gateway_id: gw,
            seq: m + 1,
            epc: i === 0 ? 'E1' : 'E2',
            portal_id: 'p',
            kind: 'portal',
            from_location: null,
            to_location: 'room',
            direction: 'in',
            ts,
            first_seen: ts,
            last_seen: ts,
            reads: 3,
            peak_rssi: -50,
            received_at: ts,
          });
          alarms.push({
            gateway_id: gw,
            seq: m + 1,
            alarm_id: `a-${m}`,
            kind: 'sensor_offline',
            state: 'raised',
            severity: 'warning',
            ts,
            location_id: null,
            sensor_id: null,
            value: null,
            message: 'offline',
            received_at: ts,
          });
        }
      await cloud.store.db.insertInto('movements').values(movements).execute();
      await cloud.store.db.insertInto('alarms').values(alarms).execute();
    });
    afterAll(async () => {
      await cloud?.stop();
    });

    it('answers the array for limit alone, in (time, gateway, sequence) order', async () => {
      const all: Item[] = await get('/api/v1/readings');
      expect(all).toHaveLength(36);
      expect(all.slice(0, 4).map(key)).toEqual(['gw-a/1', 'gw-b/1', 'gw-c/1', 'gw-a/2']);
      expect(typeof all[0]?.ts).toBe('number');
      expect(typeof all[0]?.seq).toBe('number');
      const first: Item[] = await get('/api/v1/readings?limit=5');
      expect(first).toEqual(all.slice(0, 5));
    });

    it('pages whose concatenation is the array, with and without filters', async () => {
      for (const [query, limit] of [
        ['', 7],
        ['', 1],
        ['', 36],
        ['locationId=room', 5],
        ['sensorId=s-gw-b', 4],
        ['sensorId=s-gw-b&from=' + (T0 + 4 * 60_000), 3],
        ['sensorId=s-gw-a', 5],
        ['gatewayId=gw-c&from=' + (T0 + 3 * 60_000) + '&to=' + (T0 + 9 * 60_000), 4],
      ] as const) {
        const whole: Item[] = await get(`/api/v1/readings?${query}`);
        expect(whole.length, query).toBeGreaterThan(0);
        const { items, pages } = await allPages(`/api/v1/readings?${query}`, limit);
        expect(items, query).toEqual(whole);
        expect(pages, query).toBe(Math.max(1, Math.ceil(whole.length / limit)));
      }
      // Every reading of the sensor that moved, at both locations, in time order.
      const moved: Array<Item & { locationId: string }> = await get('/api/v1/readings?sensorId=s-gw-b');
      expect(moved.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, m) => m + 1));
      expect(new Set(moved.map((r) => r.locationId))).toEqual(new Set(['truck', 'room']));
      // No reading: one empty page.
      for (const query of ['locationId=nowhere', 'sensorId=nobody'])
        expect(await get(`/api/v1/readings?${query}&paged=true`)).toEqual({ items: [], nextCursor: null });
    });

    it('shows a reading stored while paging at most once, and skips none present when paging began', async () => {
      const before: Item[] = await get('/api/v1/readings');
      const first = await get('/api/v1/readings?paged=true&limit=10');
      expect(first.items).toEqual(before.slice(0, 10));
      // One behind the cursor (an uplink outage's late reading) and one ahead of it, at a shared time.
      await insert([
        { gw: 'gw-d', seq: 1, ts: T0, loc: 'room', sensor: 's-gw-d' },
        { gw: 'gw-d', seq: 2, ts: T0 + 5 * 60_000, loc: 'room', sensor: 's-gw-d' },
      ]);
      const rest: Item[] = [];
      let cursor: string | null = first.nextCursor;
      while (cursor) {
        const page = await get(`/api/v1/readings?limit=10&cursor=${encodeURIComponent(cursor)}`);
        rest.push(...page.items);
        cursor = page.nextCursor;
      }
      const seen = [...first.items, ...rest].map(key);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((k) => !k.startsWith('gw-d/'))).toEqual(before.map(key));
      expect(seen).toContain('gw-d/2');
      expect(seen).not.toContain('gw-d/1'); // it sorts before the cursor: the next array read shows it
      expect(((await get('/api/v1/readings')) as Item[]).map(key)).toContain('gw-d/1');
    });

    it('pages movements and alarms the same way', async () => {
      for (const [path, query, limit, n] of [
        ['movements', '', 4, 18],
        ['movements', '', 1, 18],
        ['movements', 'epc=e2', 5, 12],
        ['movements', 'gatewayId=gw-b', 4, 6],
        ['alarms', '', 7, 18],
        ['alarms', 'gatewayId=gw-a', 2, 6],
      ] as const) {
        const whole: Item[] = await get(`/api/v1/${path}?${query}`);
        expect(whole, `${path}?${query}`).toHaveLength(n);
        const { items, pages } = await allPages(`/api/v1/${path}?${query}`, limit);
        expect(items, `${path}?${query}`).toEqual(whole);
        expect(pages).toBe(Math.ceil(n / limit));
      }
      const alarms: Item[] = await get('/api/v1/alarms?limit=4');
      expect(alarms.map(key)).toEqual(['gw-a/1', 'gw-b/1', 'gw-c/1', 'gw-a/2']);
      expect(typeof alarms[0]?.ts).toBe('number');
    });

    it('refuses a cursor it did not give', async () => {
      for (const path of ['readings', 'movements', 'alarms'])
        for (const bad of ['nope', Buffer.from(JSON.stringify([1, 2, 3])).toString('base64url')]) {
          const res = await call(`/api/v1/${path}?cursor=${bad}`);
          expect(res.statusCode).toBe(400);
          expect(res.json()).toMatchObject({ error: 'invalid', message: expect.stringMatching(/^cursor/) });
        }
    });
  });
}
