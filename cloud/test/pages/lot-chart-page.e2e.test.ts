import { encodeGatewayPayload, type Movement, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser } from '../helpers/auth.js';
import { movement, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import {
  type BrowserSession,
  browserMissing,
  launchBrowser,
  logIn,
  screenshot,
  watchErrors,
} from './browser.js';

const missing = browserMissing();
if (missing) console.warn(missing);
const MIN = 60_000;
const DAY = 1440;
const GTIN = '80614141123458';
const EPCS = [1, 2].map((n) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7000 + n }));
const at = (min: number) => T0 + min * MIN;
/** Custody: room-1 for 2.5 days, truck-1 for half a day (12 °C from minute 3,700 to 3,730), then store-1. */
const [TO_TRUCK, TO_STORE, END] = [2.5 * DAY, 3 * DAY, 4 * DAY];
const WARM = [3700, 3730];

/**
 * The lot page over four days of custody (docs/qa-pages.md "Lot page"): the whole custody drawn from the
 * hourly rollups as a band per location covering every stay, the truck's excursion shaded and listed, and
 * its raw readings one click away.
 */
describe.skipIf(missing !== null)('lot page custody chart from rollups in a real browser', () => {
  let cloud: TestCloud;
  let b: BrowserSession;
  let page: Page;
  let errors: string[];
  let excursion: { id: string; startTs: number; endTs: number };

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    const viewerUser = await createUser(cloud.store, {
      roles: ['viewer'],
      username: 'vera',
      printedName: 'Vera',
    });
    const op = await bearer(cloud, ['operator']);
    const put = async (path: string, body: unknown, method: 'PUT' | 'POST' = 'PUT') => {
      const res = await cloud.app.inject({
        method,
        url: `/api/v1${path}`,
        payload: body as object,
        headers: op,
      });
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
    };
    for (const id of ['dock', 'room-1', 'truck-1', 'store-1'])
      await put(`/locations/${id}`, {
        name: `Place ${id}`,
        kind: id === 'truck-1' ? 'vehicle' : 'room',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 10,
        maxGapMs: 30 * MIN,
      });
    for (const loc of ['room-1', 'truck-1', 'store-1'])
      await put(`/sensors/s-${loc}`, { name: `Probe ${loc}`, locationId: loc });
    await put(`/products/${GTIN}`, { name: 'Vaccine', minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 });
    await put('/lots/LOT-L', { gtin: GTIN, lotNumber: 'L4', expiry: '2027-06-30' });
    await put('/lots/LOT-L/epcs', { epcs: EPCS }, 'POST');
    await cloud.addGateway('gw-a');
    let seq = 0;
    const publish = async (name: 'readings' | 'movements', records: Array<Reading | Movement>) => {
      for (let i = 0; i < records.length; i += 500) {
        const numbered = records.slice(i, i + 500).map((r) => ({ ...r, seq: ++seq }));
        const out = await cloud.ingestor.handle({
          topic: `coldtrace/v1/gw/gw-a/${name}`,
          payload: Buffer.from(encodeGatewayPayload(name, readingsBatch('gw-a', numbered as never) as never)),
        });
        expect(out.kind).toBe('stored');
      }
    };
    const pass = (epc: string, from: string, to: string, min: number) =>
      movement(0, epc, { from, to, ts: at(min), firstSeen: at(min) - 500, lastSeen: at(min) + 500 });
    await publish(
      'movements',
      EPCS.flatMap((e) => [
        pass(e, 'dock', 'room-1', 0),
        pass(e, 'room-1', 'truck-1', TO_TRUCK),
        pass(e, 'truck-1', 'store-1', TO_STORE),
      ]),
    );
    const records: Reading[] = [];
    for (let m = -60; m < END; m += 5)
      for (const loc of ['room-1', 'truck-1', 'store-1'])
        records.push({
          seq: 0,
          sensorId: `s-${loc}`,
          locationId: loc,
          ts: at(m),
          tempC: loc === 'truck-1' && m >= WARM[0]! && m < WARM[1]! ? 12 : 5 + Math.sin(m / 97),
          quality: 'ok',
        });
    records.sort((x, y) => x.ts - y.ts);
    await publish('readings', records);
    const viewer = await bearer(cloud, ['viewer']);
    await until(async () => {
      await cloud.evaluator.flush();
      const res = await cloud.app.inject({ url: '/api/v1/excursions?locationId=truck-1', headers: viewer });
      const list = res.json();
      excursion = (Array.isArray(list) ? list : list.items)[0];
      return excursion?.endTs !== null && excursion?.endTs !== undefined;
    }, 'the truck excursion, closed');
    b = await launchBrowser();
    page = await b.context.newPage();
    errors = watchErrors(page);
    await logIn(page, cloud.httpUrl, 'vera', viewerUser.password);
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  it('draws the whole custody as bands from hourly rollups, with the excursion shaded and listed', async () => {
    await page.goto(`${cloud.httpUrl}/lots/LOT-L`);
    await page.waitForSelector('#custody-chart polygon.band');
    expect(await page.getAttribute('#custody-chart', 'data-resolution')).toBe('1h');
    const bands = await page.$$eval('#custody-chart polygon.band', (ps) =>
      ps.map((p) => ({
        location: p.getAttribute('data-location'),
        from: Number(p.getAttribute('data-from')),
        to: Number(p.getAttribute('data-to')),
        max: Number(p.getAttribute('data-max')),
      })),
    );
    // One band per stay, each covering its stay (hour buckets; the open stay up to the last reading).
    expect(bands.map((x) => x.location)).toEqual(['room-1', 'truck-1', 'store-1']);
    const cover = (loc: string, from: number, to: number) => {
      const band = bands.find((x) => x.location === loc)!;
      expect(band.from).toBeLessThanOrEqual(from);
      expect(band.to).toBeGreaterThanOrEqual(to);
    };
    cover('room-1', at(0), at(TO_TRUCK));
    cover('truck-1', at(TO_TRUCK), at(TO_STORE));
    cover('store-1', at(TO_STORE), at(END - 5));
    expect(bands.find((x) => x.location === 'truck-1')!.max).toBe(12);
    expect(bands.find((x) => x.location === 'room-1')!.max).toBeLessThan(8);
    const svg = await page.$eval('#custody-chart svg', (s) => ({
      x0: Number(s.getAttribute('data-x0')),
      x1: Number(s.getAttribute('data-x1')),
    }));
    expect(svg.x0).toBeLessThanOrEqual(at(0));
    expect(svg.x1).toBeGreaterThanOrEqual(at(END - 5));
    const shade = await page.$$eval('#custody-chart rect.excursion-shade', (rs) =>
      rs.map((r) => ({ from: Number(r.getAttribute('data-from')), width: Number(r.getAttribute('width')) })),
    );
    expect(shade).toEqual([{ from: excursion.startTs, width: expect.any(Number) }]);
    expect(shade[0]!.width).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#custody-excursions li').count()).toBe(1);
    expect(await page.getAttribute('#custody-excursions li', 'data-id')).toBe(excursion.id);
    // The raw view opens on the last day of data: store-1 only, every 5 min.
    await page.waitForSelector('#raw-chart polyline.series');
    expect(await page.getAttribute('#raw-chart', 'data-why')).toBe('default');
    expect(
      await page.$$eval('#raw-chart polyline.series', (ls) => ls.map((l) => l.getAttribute('data-sensor'))),
    ).toEqual(['s-store-1']);
    await screenshot(page, 'lot-custody-chart');
  });

  it('shows the raw readings of the excursion one click away', async () => {
    await page.click('#custody-excursions button.raw-excursion');
    await page.waitForSelector('#raw-chart[data-why="excursion"] polyline.series');
    const series = await page.$$eval('#raw-chart polyline.series', (ls) =>
      ls.map((l) => ({ sensor: l.getAttribute('data-sensor'), count: Number(l.getAttribute('data-count')) })),
    );
    expect(series.map((s) => s.sensor)).toEqual(['s-truck-1']);
    // 30 min before to 30 min after the excursion, a reading every 5 min.
    const span = excursion.endTs - excursion.startTs + 60 * MIN;
    expect(series[0]!.count).toBe(Math.ceil(span / (5 * MIN)));
    expect(await page.$$eval('#raw-chart rect.excursion-shade', (rs) => rs.length)).toBe(1);
    expect(errors).toEqual([]);
  });
});
