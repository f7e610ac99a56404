import { gatewayTopic, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, browserMissing, launchBrowser, screenshot, watchErrors } from './browser.js';

const MIN = 60_000;
/** Every wait is bounded: a page that never gets ready fails the test instead of hanging the e2e tier. */
const WAIT_MS = 15_000;
const EPCS = [1, 2, 3].map((n) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7000 + n }),
);
const GTIN = gtinOf(EPCS[0]!)!;
const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

/**
 * The browser globals the page functions below use: they run in the page, while this project compiles
 * without the DOM library, so they reach them through `globalThis` typed as this.
 */
interface Win {
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

const missing = browserMissing();
if (missing) console.warn(missing);

/**
 * The QA pages on a phone (390 px) and a desktop (1,440 px), docs/qa-pages.md "Phones and tablets": no
 * page wider than the window, the folding menu reachable by pointer and keyboard, chart labels at least
 * 10 px on screen; and the audit page a reviewer reads: plain-language entries, filters, exports.
 */
describe.skipIf(missing !== null)('QA pages on phones and desktops; the audit page', () => {
  let cloud: TestCloud;
  let b: BrowserSession;
  let qa: TestUser;
  let excursionId: string;

  beforeAll(async () => {
    cloud = await startTestCloud();
    qa = await createUser(cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    const op = await bearer(cloud, ['operator']);
    const send = async (method: string, path: string, body: unknown, headers: object = op) => {
      const res = await fetch(`${cloud.httpUrl}/api/v1${path}`, {
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
    const secret = await cloud.addGateway('truck-7');
    const c = await cloud.connect('truck-7', secret);
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
      const res = await fetch(`${cloud.httpUrl}/api/v1/excursions?locationId=reefer-7`, { headers: op });
      const body = (await res.json()) as Array<{ id: string }>;
      return body.length ? body : null;
    }, 'the excursion');
    excursionId = list[0]!.id;
    await until(async () => {
      const res = await fetch(
        `${cloud.httpUrl}/api/v1/locks?excursionId=${encodeURIComponent(excursionId)}`,
        {
          headers: op,
        },
      );
      return ((await res.json()) as unknown[]).length === 3;
    }, 'three locked units');
    // An operator renames the store; QA rejects the lot with an e-signature: entries for the audit page.
    const otto = await createUser(cloud.store, {
      roles: ['operator'],
      username: 'otto',
      printedName: 'Otto Operator',
    });
    const opSession = await login(cloud, otto.username, otto.password);
    const renamed = await cloud.app.inject({
      method: 'PUT',
      url: '/api/v1/locations/store-2',
      headers: opSession.headers,
      payload: { name: 'Cold store 2', kind: 'store', ...limits },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const s = await login(cloud, qa.username, qa.password);
    const decided = await cloud.app.inject({
      method: 'POST',
      url: `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
      headers: s.headers,
      payload: {
        lotId: 'LOT-A',
        decision: 'reject',
        reason: 'Reefer failure',
        username: qa.username,
        password: qa.password,
      },
    });
    expect(decided.statusCode, decided.body).toBeLessThan(300);
    b = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  /** A browser context of its own at `width`, logged in as QA through the API (no navigation to wait for). */
  async function contextAt(width: number, height: number): Promise<BrowserContext> {
    const ctx = await b.browser.newContext({ viewport: { width, height } });
    const res = await ctx.request.post(`${cloud.httpUrl}/api/v1/auth/login`, {
      data: { username: qa.username, password: qa.password },
      timeout: WAIT_MS,
    });
    expect(res.status()).toBe(200);
    return ctx;
  }

  /** Opens `path` and waits (bounded) until the page module replaced "Loading…" and charts are drawn. */
  async function open(page: Page, path: string): Promise<void> {
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await page.goto(`${cloud.httpUrl}${path}`, { waitUntil: 'domcontentloaded' });
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
  }

  const pages = () => [
    { name: 'dashboard', path: '/', ready: '#open-excursions' },
    { name: 'excursions', path: '/excursions', ready: '#excursions' },
    { name: 'excursion', path: `/excursions/${encodeURIComponent(excursionId)}`, ready: '#excursion-chart' },
    { name: 'lots', path: '/lots', ready: 'table' },
    { name: 'lot', path: '/lots/LOT-A', ready: 'figure.chart-box svg.chart' },
    { name: 'scans', path: '/scans', ready: '#result-count:not(:empty)' },
    { name: 'gateways', path: '/gateways', ready: 'section.gateway' },
    { name: 'audit', path: '/audit', ready: 'table.audit tbody tr[data-seq]' },
  ];

  for (const w of WIDTHS) {
    it(`at ${w.width} px no page is wider than the window (${w.name})`, async () => {
      const ctx = await contextAt(w.width, w.height);
      try {
        const page = await ctx.newPage();
        const errors = watchErrors(page);
        for (const p of pages()) {
          await open(page, p.path);
          await page.waitForSelector(p.ready, { timeout: WAIT_MS });
          const { scrollWidth, innerWidth } = await page.evaluate(() => {
            const win = globalThis as unknown as Win;
            return { scrollWidth: win.document.documentElement.scrollWidth, innerWidth: win.innerWidth };
          });
          await screenshot(page, `responsive-${w.width}-${p.name}`);
          expect(scrollWidth, `${p.name} at ${w.width} px`).toBeLessThanOrEqual(innerWidth);
        }
        // The login page, without a session.
        const anon = await b.browser.newContext({ viewport: { width: w.width, height: w.height } });
        try {
          const login = await anon.newPage();
          await login.goto(`${cloud.httpUrl}/login`, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
          await login.waitForSelector('#login-submit', { timeout: WAIT_MS });
          expect(
            await login.evaluate(() => {
              const win = globalThis as unknown as Win;
              return win.document.documentElement.scrollWidth <= win.innerWidth;
            }),
          ).toBe(true);
          expect(await login.locator('#login-submit').isVisible()).toBe(true);
          await screenshot(login, `responsive-${w.width}-login`);
        } finally {
          await anon.close();
        }
        expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
      } finally {
        await ctx.close();
      }
    });
  }

  it('at 390 px the menu folds behind a button that works by pointer and keyboard; Audit and Log out are reachable', async () => {
    const ctx = await contextAt(390, 844);
    try {
      const page = await ctx.newPage();
      await open(page, '/');
      const toggle = page.locator('#menu-toggle');
      const audit = page.locator('header nav a[href="/audit"]');
      // Folded first: the button shows, the links do not.
      expect(await toggle.isVisible()).toBe(true);
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      expect(await audit.isVisible()).toBe(false);
      // Keyboard: Enter opens, Escape closes and gives the focus back.
      await toggle.focus();
      await page.keyboard.press('Enter');
      await audit.waitFor({ state: 'visible', timeout: WAIT_MS });
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      await page.keyboard.press('Escape');
      await audit.waitFor({ state: 'hidden', timeout: WAIT_MS });
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      expect(await page.evaluate(() => (globalThis as unknown as Win).document.activeElement?.id)).toBe(
        'menu-toggle',
      );
      // Pointer: open, every item inside the window, then Audit is clicked and opens the audit page.
      await toggle.click();
      await audit.waitFor({ state: 'visible', timeout: WAIT_MS });
      for (const item of await page.locator('header .menu a, header .menu button').all()) {
        const box = (await item.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(390);
        expect(box.height).toBeGreaterThanOrEqual(40);
      }
      await screenshot(page, 'responsive-390-menu-open');
      await audit.click();
      await until(
        async () => new URL(page.url()).pathname === '/audit',
        'the audit page after clicking Audit',
        {
          timeoutMs: WAIT_MS,
        },
      );
      await open(page, '/audit');
      // Log out from the folded menu ends the session.
      await page.locator('#menu-toggle').click();
      await page.locator('#logout').click();
      await until(async () => new URL(page.url()).pathname === '/login', 'the login page after Log out', {
        timeoutMs: WAIT_MS,
      });
      const me = await ctx.request.get(`${cloud.httpUrl}/api/v1/auth/me`, { timeout: WAIT_MS });
      expect(me.status()).toBe(401);
    } finally {
      await ctx.close();
    }
  });

  it('chart labels stay at least 10 px on screen at 390 px and 1,440 px', async () => {
    for (const w of WIDTHS) {
      const ctx = await contextAt(w.width, w.height);
      try {
        const page = await ctx.newPage();
        for (const path of [`/excursions/${encodeURIComponent(excursionId)}`, '/lots/LOT-A']) {
          await open(page, path);
          const sizes = await page.$$eval('svg.chart text', (texts) =>
            texts.map((t) => {
              const svg = t.ownerSVGElement!;
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              return {
                text: t.textContent,
                px: Number.parseFloat((globalThis as unknown as Win).getComputedStyle(t).fontSize) * scale,
              };
            }),
          );
          expect(sizes.length).toBeGreaterThan(5);
          for (const s of sizes)
            expect(s.px, `"${s.text}" at ${w.width} px on ${path}`).toBeGreaterThanOrEqual(10);
          // The chart fits in the window.
          const right = await page.$eval('svg.chart', (svg) => svg.getBoundingClientRect().right);
          expect(right).toBeLessThanOrEqual(w.width);
        }
      } finally {
        await ctx.close();
      }
    }
  });

  it('the audit page shows plain-language entries with names and local times; filters and exports follow the URL', async () => {
    const ctx = await contextAt(1440, 900);
    try {
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await open(page, '/audit');
      const summaries = await page.locator('table.audit .audit-summary').allTextContents();
      expect(summaries).toEqual(
        expect.arrayContaining([
          'Location Cold store 2 updated: name Store 2 → Cold store 2',
          expect.stringMatching(
            /^Disposition of lot LOT-A \(Insulin pens, lot no\. L2026A\): reject, signed by Quinn QA; units 3 locked → 3 rejected$/,
          ),
          expect.stringMatching(/^Location Reefer 7 created: name Reefer 7, kind vehicle, min 2 °C, /),
        ]),
      );
      // Who by printed name; times formatted with a zone, never epoch milliseconds; raw JSON folded.
      const row = page.locator('table.audit tr[data-seq]', { hasText: 'Location Cold store 2 updated' });
      expect(await row.locator('td[data-label="User"]').textContent()).toBe('Otto Operator (otto)');
      const time = (await row.locator('td[data-label="Time"]').textContent())!;
      expect(time).toMatch(/\d{2}:\d{2}:\d{2}/);
      expect(time).toMatch(/UTC|GMT|[A-Z]{2,5}|[+-]\d/);
      // What is shown (closed <details> are not rendered: innerText) has no epoch milliseconds.
      expect(await page.locator('table.audit').innerText()).not.toMatch(/\b\d{13}\b/);
      expect(await row.locator('ul.changes').textContent()).toBe('name: Store 2 → Cold store 2');
      const rawBox = row.locator('details.raw pre');
      expect(await rawBox.isVisible()).toBe(false);
      await row.locator('details.raw summary').click();
      await rawBox.waitFor({ state: 'visible', timeout: WAIT_MS });
      expect(await rawBox.textContent()).toContain('"entityId": "store-2"');
      await screenshot(page, 'audit-plain-language');

      // Filter by user (form → URL → API): only QA's entries, and the exports carry the same filter.
      const all = await page.locator('table.audit tbody tr[data-seq]').count();
      await page.selectOption('#filter-actor', 'quinn');
      await page.click('#filter-apply');
      await until(
        async () => new URL(page.url()).searchParams.get('actor') === 'quinn',
        'the filter in the URL',
        {
          timeoutMs: WAIT_MS,
        },
      );
      await open(page, `/audit${new URL(page.url()).search}`);
      const users = await page.locator('table.audit tbody td[data-label="User"]').allTextContents();
      expect(users.length).toBeGreaterThan(0);
      expect(users.length).toBeLessThan(all);
      expect(new Set(users)).toEqual(new Set(['Quinn QA (quinn)']));
      expect(await page.textContent('#audit-count')).toMatch(/shown, newest first, filtered/);
      const csvHref = (await page.getAttribute('#export-csv', 'href'))!;
      expect(csvHref).toBe('/api/v1/audit/export.csv?actor=quinn');
      const csv = await ctx.request.get(`${cloud.httpUrl}${csvHref}`, { timeout: WAIT_MS });
      expect(csv.status()).toBe(200);
      const csvText = await csv.text();
      expect(csvText).toContain('"Filters","actor = quinn"');
      expect(csvText.split('\r\n').filter((l) => l.startsWith('"entry"'))).toHaveLength(users.length);
      const pdf = await ctx.request.get(
        `${cloud.httpUrl}${(await page.getAttribute('#export-pdf', 'href'))!}`,
        {
          timeout: WAIT_MS,
        },
      );
      expect(pdf.status()).toBe(200);
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

      // Paging keeps the filter: 3 at a time through the system's entries, the same as the API's.
      const api = await ctx.request.get(`${cloud.httpUrl}/api/v1/audit?actor=system&order=desc&limit=10000`, {
        timeout: WAIT_MS,
      });
      const expected = ((await api.json()) as Array<{ seq: number }>).map((e) => String(e.seq));
      expect(expected.length).toBeGreaterThan(6);
      await open(page, '/audit?actor=system&limit=3');
      for (let clicks = 0; await page.locator('#audit-more').isVisible(); clicks++) {
        expect(clicks, 'pages of 3 until the oldest').toBeLessThan(expected.length);
        const before = await page.locator('table.audit tbody tr[data-seq]').count();
        await page.click('#audit-more');
        await page.waitForFunction(
          (n) =>
            (globalThis as unknown as Win).document.querySelectorAll('table.audit tbody tr[data-seq]')
              .length > n ||
            (globalThis as unknown as Win).document.getElementById('audit-more')?.hidden === true,
          before,
          { timeout: WAIT_MS },
        );
      }
      const seqs = await page
        .locator('table.audit tbody tr[data-seq]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')));
      expect(seqs).toEqual(expected);

      // Action family: only dispositions.
      await open(page, '/audit?action=disposition');
      expect(await page.locator('#filter-action').inputValue()).toBe('disposition');
      const actions = await page.locator('table.audit tbody .audit-action').allTextContents();
      expect(actions).toEqual(['disposition.reject']);
      // A date range that ends long ago holds nothing; one from yesterday (local) holds everything.
      const yesterday = await page.evaluate(() => {
        const d = new Date();
        d.setDate(d.getDate() - 1);
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      });
      await open(page, `/audit?from=${yesterday}`);
      expect(await page.locator('table.audit tbody tr[data-seq]').count()).toBe(all);
      await open(page, '/audit?to=2020-01-01');
      expect(await page.locator('table.audit tbody tr[data-seq]').count()).toBe(0);
      expect(await page.textContent('#audit-count')).toBe('0 entries shown, newest first, filtered (all).');
      expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
