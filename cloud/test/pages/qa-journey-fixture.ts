import { gatewayTopic, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { bearer, createUser, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, launchBrowser, logIn } from './browser.js';

export const MIN = 60_000;
/** Three units of each of two lots of one product. */
export const EPCS = {
  'LOT-A': [1, 2, 3].map((n) =>
    sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1000 + n }),
  ),
  'LOT-B': [4, 5, 6].map((n) =>
    sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1000 + n }),
  ),
};
export const GTIN = gtinOf(EPCS['LOT-A'][0]!)!;
/** A big lot (more units than one page of the lot page's trace table): 600 units, all in store-9. */
export const BIG_LOT = Array.from({ length: 600 }, (_, i) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 5000 + i }),
);

export interface ApiReading {
  sensorId: string;
  ts: number;
  tempC: number;
}

/** The seeded cloud and the browser the QA page tests share (set in their beforeAll). */
export interface QaJourney {
  cloud: TestCloud;
  b: BrowserSession;
  /** `quinn`, role qa, printed name "Quinn QA". */
  qa: TestUser;
  /** `vera`, role viewer, printed name "Vera Viewer". */
  viewer: TestUser;
  /** The reefer's open excursion, which locks all six units of LOT-A and LOT-B. */
  excursionId: string;
  /** The reefer's 80 readings (two sensors) as the API gives them. */
  apiReadings: ApiReading[];
  truckSecret: string;
}

/**
 * Seeds a cloud as an integration and a gateway would (master data over the API, telemetry over MQTT: an
 * excursion in reefer-7 that locks lots A and B, and a 600-unit lot C in store-9), then launches chromium;
 * stops both after the file's tests. With `loggedIn`, the browser context is logged in as the QA user.
 */
export function useQaJourney(opts: { loggedIn?: boolean } = {}): QaJourney {
  const j = {} as QaJourney;
  beforeAll(async () => {
    j.cloud = await startTestCloud();
    j.qa = await createUser(j.cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    j.viewer = await createUser(j.cloud.store, {
      roles: ['viewer'],
      username: 'vera',
      printedName: 'Vera Viewer',
    });
    const op = await bearer(j.cloud, ['operator']);
    // Master data over the API, as an integration would.
    const put = await fetch(`${j.cloud.httpUrl}/api/v1/locations/reefer-7`, {
      method: 'PUT',
      headers: { ...op, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Reefer 7',
        kind: 'vehicle',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 5,
        maxGapMs: 5 * MIN,
      }),
    });
    expect(put.status).toBe(200);
    const send = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${j.cloud.httpUrl}/api/v1${path}`, {
        method,
        headers: { ...op, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    };
    await send('PUT', `/products/${GTIN}`, {
      name: 'Insulin pens',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 60 * MIN,
    });
    await send('PUT', '/locations/store-9', {
      name: 'Store 9',
      kind: 'store',
      minC: 2,
      maxC: 8,
      alarmDelayMs: 10 * MIN,
      criticalMarginC: 5,
      maxGapMs: 5 * MIN,
    });
    // One of the reefer's two sensors has a name; the pages show it (the other goes by its id).
    await send('PUT', '/sensors/reefer-7a', { name: 'Reefer probe A', locationId: 'reefer-7' });
    await send('PUT', '/portals/truck-7-door', { name: 'Truck 7 door' }); // the reader's, by name
    for (const [lot, epcs] of Object.entries({ ...EPCS, 'LOT-C': BIG_LOT })) {
      await send('PUT', `/lots/${lot}`, {
        gtin: GTIN,
        lotNumber: lot.replace('LOT-', 'L2026'),
        expiry: '2027-12-31',
      });
      await send('POST', `/lots/${lot}/epcs`, { epcs });
    }
    // Telemetry over MQTT, as a gateway would: two sensors, 5 °C, then 11–12 °C for 20 min, then 5 °C.
    j.truckSecret = await j.cloud.addGateway('truck-7');
    const c = await j.cloud.connect('truck-7', j.truckSecret);
    await c.publishAsync(
      gatewayTopic('truck-7', 'status'),
      JSON.stringify({
        gatewayId: 'truck-7',
        state: 'online',
        ts: T0 + 40 * MIN,
        backlog: { records: 12, bytes: 4096, oldestTs: T0 + 39 * MIN },
        sensors: [
          { sensorId: 'reefer-7a', locationId: 'reefer-7', state: 'ok', lastReadingTs: T0 + 40 * MIN },
        ],
        readers: [{ readerId: 'door-7', portalId: 'truck-7-door', state: 'connected' }],
      }),
      { qos: 1, retain: true },
    );
    const temps = (offset: number) =>
      Array.from({ length: 40 }, (_, i) =>
        i >= 8 && i < 28 ? 11 + offset + (i % 3) * 0.5 : 4.5 + offset + (i % 4) * 0.25,
      );
    const a = readings(40, { sensorId: 'reefer-7a', locationId: 'reefer-7', stepMs: MIN }).map((r, i) => ({
      ...r,
      tempC: temps(0)[i]!,
    }));
    const bRecs = readings(40, {
      sensorId: 'reefer-7b',
      locationId: 'reefer-7',
      stepMs: MIN,
      firstSeq: 41,
    }).map((r, i) => ({
      ...r,
      ts: T0 + (i + 1) * MIN + 30_000,
      tempC: temps(0.3)[i]!,
    }));
    // The six units pass the truck door into the reefer before it fails.
    const moves = [...EPCS['LOT-A'], ...EPCS['LOT-B']].map((epc, i) =>
      movement(i + 1, epc, { portalId: 'door-7', from: 'dock-1', to: 'reefer-7', direction: 'in' }),
    );
    await c.publishAsync(
      gatewayTopic('truck-7', 'movements'),
      JSON.stringify({
        gatewayId: 'truck-7',
        firstSeq: 1,
        lastSeq: moves.length,
        sentAt: T0,
        records: moves,
      }),
      { qos: 1 },
    );
    // The big lot's units arrive at store-9 (no sensor there: no readings, no locks).
    for (let i = 0; i < BIG_LOT.length; i += 300) {
      const records = BIG_LOT.slice(i, i + 300).map((epc, j) =>
        movement(moves.length + i + j + 1, epc, { portalId: 'door-9', from: 'dock-1', to: 'store-9' }),
      );
      await c.publishAsync(
        gatewayTopic('truck-7', 'movements'),
        JSON.stringify({
          gatewayId: 'truck-7',
          firstSeq: records[0]!.seq,
          lastSeq: records.at(-1)!.seq,
          sentAt: T0,
          records,
        }),
        { qos: 1 },
      );
    }
    await c.publishAsync(gatewayTopic('truck-7', 'readings'), JSON.stringify(readingsBatch('truck-7', a)), {
      qos: 1,
    });
    await c.publishAsync(
      gatewayTopic('truck-7', 'readings'),
      JSON.stringify(readingsBatch('truck-7', bRecs)),
      { qos: 1 },
    );
    await c.endAsync();
    const list = await until(async () => {
      const res = await fetch(`${j.cloud.httpUrl}/api/v1/excursions?locationId=reefer-7`, { headers: op });
      const body = (await res.json()) as Array<{ id: string }>;
      return body.length ? body : null;
    }, 'the excursion');
    j.excursionId = list[0]!.id;
    await until(async () => {
      const res = await fetch(
        `${j.cloud.httpUrl}/api/v1/locks?excursionId=${encodeURIComponent(j.excursionId)}`,
        { headers: op },
      );
      return ((await res.json()) as unknown[]).length === 6;
    }, 'six locked units');
    j.apiReadings = (await (
      await fetch(`${j.cloud.httpUrl}/api/v1/readings?locationId=reefer-7&limit=1000`, { headers: op })
    ).json()) as ApiReading[];
    expect(j.apiReadings).toHaveLength(80);
    j.b = await launchBrowser();
    if (opts.loggedIn) {
      const page = await j.b.context.newPage();
      await logIn(page, j.cloud.httpUrl, 'quinn', j.qa.password);
      await page.close();
    }
  });

  afterAll(async () => {
    await j.b?.close();
    await j.cloud?.stop();
  });
  return j;
}
