import { gatewayTopic, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bucketStart, ROLLUP_RESOLUTIONS } from '../../src/domain/reading-rollups.js';
import { bearer } from '../helpers/auth.js';
import { movement, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const H = 60 * MIN;
const GTIN = '80614141123458';
const epc = (serial: number) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });
const [E1, E2, E3] = [epc(21), epc(22), epc(23)];
/** On the hour: the stays below start and end on bucket boundaries, except E3's exit at 67 min. */
const H0 = bucketStart(T0, H);
const at = (min: number) => H0 + min * MIN;
/** The data's end: queries pass `to` so the open stay ends here. */
const END = at(8 * 60);
/** The minutes in which the unregistered sensor s-mid reads at room-1: mid-stay only. */
const MID = [85, 95] as const;

interface Item {
  locationId: string;
  start: number;
  end: number;
  minC: number;
  maxC: number;
  meanC: number;
  count: number;
  partial: boolean;
}
interface Excursion {
  id: string;
  locationId: string;
  start: number;
  end: number | null;
}
interface Chart {
  resolution: string;
  intervals: Array<{ locationId: string; from: number; to: number | null }>;
  sensors: Record<string, string[]>;
  items: Item[];
  excursions: Excursion[];
  nextCursor: string | null;
}
interface RawReading {
  locationId: string;
  ts: number;
  tempC: number | null;
}

/**
 * `GET /lots/:id/temperature/rollups` (docs/architecture.md "Lot chart from rollups") against the raw
 * readings of `GET /lots/:id/temperature`: the lot in room-1 for 3 h (E3 leaves for store-2 at 67 min),
 * in truck-1 for 2 h with an excursion (12 °C, minutes 200–220), then in store-1. Three sensors in room-1
 * (one reading 2 °C colder) and one not registered there reading only mid-stay, never out of the limits; two in
 * truck-1 (one not registered), one elsewhere, a reading a minute, some
 * without a value. On SQLite and
 * PostgreSQL: `store()` gives the cloud's database setting.
 */
export function lotChartSuite(name: string, store: () => Promise<Pick<CloudConfigInput, 'database'>>): void {
  describe(`GET /api/v1/lots/:id/temperature/rollups (${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };
    const get = async <T>(url: string, status = 200): Promise<T> => {
      const res = await cloud.app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
      return res.json() as T;
    };
    const chart = (q: string) => get<Chart>(`/api/v1/lots/LOT-C/temperature/rollups?to=${END}&${q}`);
    /** Every page of a chart, merged; the excursions of all pages without repeats. */
    const allPages = async (q: string) => {
      const items: Item[] = [];
      const excursions = new Map<string, Excursion>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Chart = await chart(`${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        items.push(...page.items);
        for (const e of page.excursions) excursions.set(e.id, e);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      return { items, excursions: [...excursions.values()], pages };
    };

    beforeAll(async () => {
      cloud = await startTestCloud(await store());
      const admin = await bearer(cloud, ['admin']);
      viewer = await bearer(cloud, ['viewer']);
      const put = async (url: string, payload: unknown, method: 'PUT' | 'POST' = 'PUT') => {
        const res = await cloud.app.inject({ method, url, payload: payload as object, headers: admin });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      };
      for (const id of ['dock', 'room-1', 'truck-1', 'store-1', 'store-2'])
        await put(`/api/v1/locations/${id}`, {
          name: id,
          kind: id.startsWith('truck') ? 'vehicle' : 'room',
          minC: 2,
          maxC: 8,
          alarmDelayMs: 10 * MIN,
          criticalMarginC: 10,
          maxGapMs: 30 * MIN,
        });
      const sensors = [
        ['s-room-a', 'room-1'],
        ['s-room-b', 'room-1'],
        ['s-room-c', 'room-1'],
        ['s-truck', 'truck-1'],
        ['s-store', 'store-1'],
        ['s-store2', 'store-2'],
      ] as const;
      for (const [id, locationId] of sensors) await put(`/api/v1/sensors/${id}`, { name: id, locationId });
      // A sensor that reads at truck-1 without being registered (master data), and one at room-1 only in the
      // middle of the stay (more than 200 readings of the other sensors from either end) and never out of
      // the limits, so no excursion names it either.
      const reading = [...sensors, ['s-unregistered', 'truck-1'] as const, ['s-mid', 'room-1'] as const];
      await put(`/api/v1/products/${GTIN}`, {
        name: 'Vaccine',
        minC: 2,
        maxC: 8,
        stabilityBudgetMs: 3_600_000,
      });
      await put('/api/v1/lots/LOT-C', { gtin: GTIN, lotNumber: 'C1', expiry: '2027-06-30' });
      await put('/api/v1/lots/LOT-C/epcs', { epcs: [E1, E2, E3] }, 'POST');

      const secret = await cloud.addGateway('gw-1');
      const gw = await cloud.connect('gw-1', secret);
      const pass = (seq: number, e: string, from: string, to: string, ts: number) =>
        movement(seq, e, { from, to, ts, firstSeen: ts - 500, lastSeen: ts + 500, direction: 'in' });
      const moves = [
        pass(1, E1, 'dock', 'room-1', at(0)),
        pass(2, E2, 'dock', 'room-1', at(0)),
        pass(3, E3, 'dock', 'room-1', at(0)),
        pass(4, E3, 'room-1', 'store-2', at(67)),
        pass(5, E1, 'room-1', 'truck-1', at(180)),
        pass(6, E2, 'room-1', 'truck-1', at(180)),
        pass(7, E1, 'truck-1', 'store-1', at(300)),
        pass(8, E2, 'truck-1', 'store-1', at(300)),
      ];
      await gw.publishAsync(
        gatewayTopic('gw-1', 'movements'),
        JSON.stringify({ gatewayId: 'gw-1', firstSeq: 1, lastSeq: moves.length, sentAt: T0, records: moves }),
        { qos: 1 },
      );
      const records: Array<{
        seq: number;
        sensorId: string;
        locationId: string;
        ts: number;
        tempC: number | null;
        quality: 'ok' | 'timeout';
      }> = [];
      let seq = 0;
      for (const [sensorId, locationId] of reading)
        for (let m = -30; m < 8 * 60; m++) {
          if (sensorId === 's-mid' && (m < MID[0] || m >= MID[1])) continue;
          const warm = sensorId === 's-truck' && m >= 200 && m < 220;
          const base = 5 + Math.sin((m + seq) / 17) * 1.5 - (sensorId === 's-room-b' ? 2 : 0);
          const tempC = m % 23 === 7 ? null : warm ? 12 : Math.round(base * 100) / 100;
          records.push({
            seq: ++seq,
            sensorId,
            locationId,
            ts: at(m) + 1000,
            tempC,
            quality: tempC === null ? 'timeout' : 'ok',
          });
        }
      for (let i = 0; i < records.length; i += 250)
        await gw.publishAsync(
          gatewayTopic('gw-1', 'readings'),
          JSON.stringify(readingsBatch('gw-1', records.slice(i, i + 250))),
          { qos: 1 },
        );
      await gw.endAsync();
      await until(async () => {
        const res = await cloud.app.inject({ url: '/api/v1/excursions', headers: viewer });
        return res.json().some((e: Excursion) => e.locationId === 'truck-1');
      }, 'the truck excursion');
      await until(async () => {
        const raw = await get<{ readings: unknown[] }>(
          `/api/v1/lots/LOT-C/temperature?limit=20000&to=${END}`,
        );
        // room-1 (three sensors, and s-mid), truck-1 (two), store-1, and store-2 from minute 67.
        return raw.readings.length === 3 * 180 + (MID[1] - MID[0]) + 2 * 120 + 180 + (480 - 67);
      }, 'every reading stored');
    });
    afterAll(async () => cloud?.stop());

    /** The raw readings with a value the lot's stays hold, per location and bucket of `width`. */
    const rawBuckets = async (width: number) => {
      const raw = await get<{ readings: RawReading[] }>(
        `/api/v1/lots/LOT-C/temperature?limit=20000&to=${END}`,
      );
      const out = new Map<string, number[]>();
      for (const r of raw.readings) {
        if (r.tempC === null) continue;
        const k = `${r.locationId}@${bucketStart(r.ts, width)}`;
        out.set(k, [...(out.get(k) ?? []), r.tempC]);
      }
      return out;
    };

    for (const resolution of ['5m', '1h'] as const)
      it(`agrees with the raw readings per bucket and per stay (${resolution})`, async () => {
        const width = ROLLUP_RESOLUTIONS[resolution];
        const { items, pages } = await allPages(`resolution=${resolution}&limit=10000`);
        expect(pages).toBe(1);
        const raw = await rawBuckets(width);
        expect(items.map((b) => `${b.locationId}@${b.start}`).sort()).toEqual([...raw.keys()].sort());
        for (const b of items) {
          const temps = raw.get(`${b.locationId}@${b.start}`)!;
          const [lo, hi] = [Math.min(...temps), Math.max(...temps)];
          if (b.partial) {
            // The bucket holds readings from outside the stay too: never narrower than the stay's.
            expect(b.minC).toBeLessThanOrEqual(lo);
            expect(b.maxC).toBeGreaterThanOrEqual(hi);
          } else {
            expect([b.end - b.start, b.minC, b.maxC, b.count]).toEqual([width, lo, hi, temps.length]);
            expect(b.meanC).toBeCloseTo(temps.reduce((x, y) => x + y, 0) / temps.length, 9);
          }
        }
        // Stays on bucket boundaries have no partial bucket; min, max and count per stay are the raw ones.
        for (const [loc, from, to] of [
          ['room-1', at(0), at(180)],
          ['truck-1', at(180), at(300)],
          ['store-1', at(300), END],
        ] as const) {
          const inStay = items.filter((b) => b.locationId === loc && b.start >= from && b.start < to);
          expect(inStay.length).toBe((to - from) / width);
          expect(inStay.some((b) => b.partial)).toBe(false);
          const temps = [...raw.entries()]
            .filter(([k]) => k.startsWith(`${loc}@`))
            .flatMap(([k, v]) => (Number(k.split('@')[1]) >= from && Number(k.split('@')[1]) < to ? v : []));
          expect([
            Math.min(...inStay.map((b) => b.minC)),
            Math.max(...inStay.map((b) => b.maxC)),
            inStay.reduce((n, b) => n + b.count, 0),
          ]).toEqual([Math.min(...temps), Math.max(...temps), temps.length]);
        }
      });

    it('marks the buckets around an exit off a bucket boundary partial, and shows the excursion', async () => {
      const c = await chart('resolution=5m&limit=10000');
      const partial = c.items.filter((b) => b.partial).map((b) => `${b.locationId}@${(b.start - H0) / MIN}`);
      expect(partial).toEqual(['store-2@65']);
      expect(c.sensors).toEqual({
        'room-1': ['s-mid', 's-room-a', 's-room-b', 's-room-c'],
        'store-1': ['s-store'],
        'store-2': ['s-store2'],
        'truck-1': ['s-truck', 's-unregistered'],
      });
      const truck = c.items.filter((b) => b.locationId === 'truck-1' && b.maxC === 12);
      expect(truck.map((b) => (b.start - H0) / MIN)).toEqual([200, 205, 210, 215]);
      const hourly = await chart('resolution=1h&limit=10000');
      expect(hourly.items.find((b) => b.locationId === 'truck-1' && b.start === at(180))?.maxC).toBe(12);
      expect(hourly.items.filter((b) => b.partial).map((b) => b.locationId)).toEqual(['store-2']);
      const truckExcursion = c.excursions.find((e) => e.locationId === 'truck-1');
      expect(truckExcursion?.start).toBe(at(200) + 1000);
      // Readings at room-1 before the lot arrived are not charted.
      expect(c.items.some((b) => b.start < H0)).toBe(false);
      expect(await get<RawReading[]>(`/api/v1/readings?locationId=room-1&to=${H0}&limit=1`)).toHaveLength(1);
    });

    it('pages in (start, location) order without loss, listing every excursion', async () => {
      const whole = await chart('resolution=5m&limit=10000');
      expect(whole.nextCursor).toBeNull();
      expect(whole.excursions.length).toBeGreaterThan(0);
      const paged = await allPages('resolution=5m&limit=7');
      expect(paged.pages).toBe(Math.ceil(whole.items.length / 7));
      expect(paged.items).toEqual(whole.items);
      expect(paged.excursions.map((e) => e.id).sort()).toEqual(whole.excursions.map((e) => e.id).sort());
      const keys = whole.items.map((b) => [b.start, b.locationId] as const);
      const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      expect(keys).toEqual(sorted);
    });

    it('clips to from/to, chooses the resolution by span, refuses a foreign cursor', async () => {
      const window = await chart(`from=${at(190)}`);
      expect(window.resolution).toBe('5m');
      const w = await get<Chart>(`/api/v1/lots/LOT-C/temperature/rollups?from=${at(190)}&to=${at(230)}`);
      expect(w.items.map((b) => `${b.locationId}@${(b.start - H0) / MIN}`)).toEqual(
        [190, 195, 200, 205, 210, 215, 220, 225].flatMap((m) => [`store-2@${m}`, `truck-1@${m}`]),
      );
      expect(w.excursions.map((e) => e.locationId)).toEqual(['truck-1']);
      const bad = await get<{ message: string }>(
        `/api/v1/lots/LOT-C/temperature/rollups?cursor=${encodeURIComponent('WyJhIl0')}`,
        400,
      );
      expect(bad.message).toMatch(/cursor/);
    });
  });
}
