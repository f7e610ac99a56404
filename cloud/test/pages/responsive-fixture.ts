import { gatewayTopic, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, launchBrowser } from './browser.js';

const MIN = 60_000;
/** Every wait is bounded: a page that never gets ready fails the test instead of hanging the e2e tier. */
export const WAIT_MS = 15_000;
const EPCS = [1, 2, 3].map((n) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7000 + n }),
);
const GTIN = gtinOf(EPCS[0]!)!;
export const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

/**
 * The browser globals the page functions below use: they run in the page, while this project compiles
 * without the DOM library, so they reach them through `globalThis` typed as this.
 */
export interface Win {
  document: {
    documentElement: { scrollWidth: number };
    activeElement: { id: string } | null;
    getElementById(id: string): { textContent: string | null; hidden: boolean } | null;
    querySelectorAll(selector: string): ArrayLike<Box>;
  };
  innerWidth: number;
  getComputedStyle(e: unknown): { fontSize: string };
}
interface Box {
  getBoundingClientRect(): { width: number };
  getAttribute(name: string): string | null;
}

/** The seeded cloud and the browser the responsive and audit page tests share (set in their beforeAll). */
interface ResponsiveState {
  cloud: TestCloud;
  b: BrowserSession;
  /** `quinn`, role qa, printed name "Quinn QA". */
  qa: TestUser;
  /** The reefer's excursion, decided (LOT-A rejected). */
  excursionId: string;
}

export type ResponsivePages = ResponsiveState & {
  contextAt(width: number, height: number): Promise<BrowserContext>;
  open(page: Page, path: string): Promise<void>;
  /** Every page with a selector that shows it is ready. */
  pages(): Array<{ name: string; path: string; ready: string }>;
};

/**
 * Seeds a cloud (master data, readings with an excursion, movements, a signed rejection) and launches chromium
 * before the file's tests; stops both after them.
 */
export function useResponsivePages(): ResponsivePages {
  const j = {} as ResponsivePages;
  beforeAll(async () => {
    j.cloud = await startTestCloud();
    j.qa = await createUser(j.cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    const op = await bearer(j.cloud, ['operator']);
    const send = async (method: string, path: string, body: unknown, headers: object = op) => {
      const res = await fetch(`${j.cloud.httpUrl}/api/v1${path}`, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    };
    const limits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 5 * MIN };
    await send('PUT', '/locations/reefer-7', { name: 'Reefer 7', kind: 'vehicle', ...limits });
    await send('PUT', '/locations/store-2', { name: 'Store 2', kind: 'store', ...limits });
    await send('PUT', `/products/${GTIN}`, {
      name: 'Insulin pens',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 60 * MIN,
    });
    await send('PUT', '/lots/LOT-A', { gtin: GTIN, lotNumber: 'L2026A', expiry: '2027-12-31' });
    await send('POST', '/lots/LOT-A/epcs', { epcs: EPCS });
    // A gateway with status, three units into the reefer, two sensors with a 20 min excursion.
    const secret = await j.cloud.addGateway('truck-7');
    const c = await j.cloud.connect('truck-7', secret);
    await c.publishAsync(
      gatewayTopic('truck-7', 'status'),
      JSON.stringify({
        gatewayId: 'truck-7',
        state: 'online',
        ts: T0 + 40 * MIN,
        backlog: { records: 3, bytes: 1024, oldestTs: T0 + 39 * MIN },
        sensors: [
          { sensorId: 'reefer-7a', locationId: 'reefer-7', state: 'ok', lastReadingTs: T0 + 40 * MIN },
        ],
        readers: [{ readerId: 'door-7', state: 'connected' }],
      }),
      { qos: 1, retain: true },
    );
    const moves = EPCS.map((epc, i) =>
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
    const temp = (i: number, offset: number) =>
      i >= 8 && i < 28 ? 11 + offset : 4.5 + offset + (i % 4) * 0.25;
    const a = readings(40, { sensorId: 'reefer-7a', locationId: 'reefer-7', stepMs: MIN }).map((r, i) => ({
      ...r,
      tempC: temp(i, 0),
    }));
    const bb = readings(40, { sensorId: 'reefer-7b', locationId: 'reefer-7', stepMs: MIN, firstSeq: 41 }).map(
      (r, i) => ({ ...r, ts: T0 + (i + 1) * MIN + 30_000, tempC: temp(i, 0.3) }),
    );
    await c.publishAsync(gatewayTopic('truck-7', 'readings'), JSON.stringify(readingsBatch('truck-7', a)), {
      qos: 1,
    });
    await c.publishAsync(gatewayTopic('truck-7', 'readings'), JSON.stringify(readingsBatch('truck-7', bb)), {
      qos: 1,
    });
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
        {
          headers: op,
        },
      );
      return ((await res.json()) as unknown[]).length === 3;
    }, 'three locked units');
    // An operator renames the store; QA rejects the lot with an e-signature: entries for the audit page.
    const otto = await createUser(j.cloud.store, {
      roles: ['operator'],
      username: 'otto',
      printedName: 'Otto Operator',
    });
    const opSession = await login(j.cloud, otto.username, otto.password);
    const renamed = await j.cloud.app.inject({
      method: 'PUT',
      url: '/api/v1/locations/store-2',
      headers: opSession.headers,
      payload: { name: 'Cold store 2', kind: 'store', ...limits },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const s = await login(j.cloud, j.qa.username, j.qa.password);
    const decided = await j.cloud.app.inject({
      method: 'POST',
      url: `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/dispositions`,
      headers: s.headers,
      payload: {
        lotId: 'LOT-A',
        decision: 'reject',
        reason: 'Reefer failure',
        username: j.qa.username,
        password: j.qa.password,
      },
    });
    expect(decided.statusCode, decided.body).toBeLessThan(300);
    j.b = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await j.b?.close();
    await j.cloud?.stop();
  });

  /** A browser context of its own at `width`, logged in as QA through the API (no navigation to wait for). */
  j.contextAt = async function contextAt(width: number, height: number): Promise<BrowserContext> {
    const ctx = await j.b.browser.newContext({ viewport: { width, height } });
    const res = await ctx.request.post(`${j.cloud.httpUrl}/api/v1/auth/login`, {
      data: { username: j.qa.username, password: j.qa.password },
      timeout: WAIT_MS,
    });
    expect(res.status()).toBe(200);
    return ctx;
  };

  /** Opens `path` and waits (bounded) until the page module replaced "Loading…" and charts are drawn. */
  j.open = async function open(page: Page, path: string): Promise<void> {
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await page.goto(`${j.cloud.httpUrl}${path}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as Win;
        const main = document.getElementById('main');
        if (!main || /^Loading/.test(main.textContent?.trim() ?? '')) return false;
        // A chart counts as drawn once it is drawn at the width it is shown at (chart.js redraws).
        return Array.from(document.querySelectorAll('svg.chart')).every((svg) => {
          const shown = svg.getBoundingClientRect().width;
          const drawn = Number(svg.getAttribute('data-width'));
          return (
            shown > 0 && (Math.abs(shown - drawn) < 2 || (drawn === 300 && shown < 300) || shown > drawn)
          );
        });
      },
      null,
      { timeout: WAIT_MS },
    );
  };

  j.pages = () => [
    { name: 'dashboard', path: '/', ready: '#open-excursions' },
    { name: 'excursions', path: '/excursions', ready: '#excursions' },
    {
      name: 'excursion',
      path: `/excursions/${encodeURIComponent(j.excursionId)}`,
      ready: '#excursion-chart',
    },
    { name: 'lots', path: '/lots', ready: 'table' },
    { name: 'lot', path: '/lots/LOT-A', ready: 'figure.chart-box svg.chart' },
    { name: 'scans', path: '/scans', ready: '#result-count:not(:empty)' },
    { name: 'gateways', path: '/gateways', ready: 'section.gateway' },
    { name: 'audit', path: '/audit', ready: 'table.audit tbody tr[data-seq]' },
  ];
  return j;
}
