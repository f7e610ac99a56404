import { gatewayTopic, gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import {
  type BrowserSession,
  browserMissing,
  launchBrowser,
  logIn,
  screenshot,
  watchErrors,
} from './browser.js';

const MIN = 60_000;
/** Three units of each of two lots of one product. */
const EPCS = {
  'LOT-A': [1, 2, 3].map((n) =>
    sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1000 + n }),
  ),
  'LOT-B': [4, 5, 6].map((n) =>
    sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1000 + n }),
  ),
};
const GTIN = gtinOf(EPCS['LOT-A'][0]!)!;
/** A big lot (more units than one page of the lot page's trace table): 600 units, all in store-9. */
const BIG_LOT = Array.from({ length: 600 }, (_, i) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 5000 + i }),
);
const missing = browserMissing();
if (missing) console.warn(missing);

interface ApiReading {
  sensorId: string;
  ts: number;
  tempC: number;
}

describe.skipIf(missing !== null)('QA pages in a real browser', () => {
  let cloud: TestCloud;
  let b: BrowserSession;
  let qa: TestUser;
  let viewer: TestUser;
  let excursionId: string;
  let apiReadings: ApiReading[];
  let truckSecret: string;

  beforeAll(async () => {
    cloud = await startTestCloud();
    qa = await createUser(cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    viewer = await createUser(cloud.store, {
      roles: ['viewer'],
      username: 'vera',
      printedName: 'Vera Viewer',
    });
    const op = await bearer(cloud, ['operator']);
    // Master data over the API, as an integration would.
    const put = await fetch(`${cloud.httpUrl}/api/v1/locations/reefer-7`, {
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
      const res = await fetch(`${cloud.httpUrl}/api/v1${path}`, {
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
    truckSecret = await cloud.addGateway('truck-7');
    const c = await cloud.connect('truck-7', truckSecret);
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
      const res = await fetch(`${cloud.httpUrl}/api/v1/excursions?locationId=reefer-7`, { headers: op });
      const body = (await res.json()) as Array<{ id: string }>;
      return body.length ? body : null;
    }, 'the excursion');
    excursionId = list[0]!.id;
    await until(async () => {
      const res = await fetch(
        `${cloud.httpUrl}/api/v1/locks?excursionId=${encodeURIComponent(excursionId)}`,
        { headers: op },
      );
      return ((await res.json()) as unknown[]).length === 6;
    }, 'six locked units');
    apiReadings = (await (
      await fetch(`${cloud.httpUrl}/api/v1/readings?locationId=reefer-7&limit=1000`, { headers: op })
    ).json()) as ApiReading[];
    expect(apiReadings).toHaveLength(80);
    b = await launchBrowser();
  });

  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  it('refuses a wrong password on the login page and stays there', async () => {
    const page = await b.context.newPage();
    await page.goto(`${cloud.httpUrl}/excursions`);
    expect(new URL(page.url()).pathname).toBe('/login'); // redirected: no session yet
    await page.fill('#username', 'quinn');
    await page.fill('#password', 'not my password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toBe('invalid username or password');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect((await b.context.cookies()).find((c) => c.name === 'coldtrace_session')).toBeUndefined();
    await screenshot(page, 'login-refused');
    await page.close();
  });

  it('logs in, shows the dashboard with the open excursion and the online gateway', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await logIn(page, cloud.httpUrl, 'quinn', qa.password);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForSelector('#open-excursions');
    expect(await page.textContent('#whoami')).toBe('Quinn QA (qa)');
    expect(await page.textContent('#tile-open-excursions .tile-value')).toBe('1');
    expect(await page.textContent('#tile-gateways .tile-value')).toBe('1 / 1');
    expect(await page.textContent('#tile-locked-lots .tile-value')).toBe('2');
    expect(await page.textContent('#locked-lots tbody')).toContain('3 / 3');
    // How long each lot has waited for QA: its oldest active lock's time.
    const since = await page.locator('#locked-lots .locked-since').allTextContents();
    expect(since).toHaveLength(2);
    for (const t of since) expect(t).toMatch(/\d{2}:\d{2}/);
    // Named by where and since when, its id on hover.
    const link = page.locator(`#open-excursions a[data-id="${excursionId}"]`);
    expect(await link.textContent()).toMatch(/^Reefer 7 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    expect(await page.textContent('#open-excursions tbody')).not.toContain(excursionId);
    // Names instead of ids: the location by its name (its id on hover), lots by their lot number.
    const where = page.locator('#open-excursions span.named[data-id="reefer-7"]');
    expect(await where.textContent()).toBe('Reefer 7');
    expect(await where.getAttribute('title')).toContain('reefer-7');
    expect(await page.textContent('#locked-lots tr[data-lot="LOT-A"] a')).toBe('L2026A');
    expect(await page.textContent('#gateways tbody')).toContain('12 records');
    const cookie = (await b.context.cookies()).find((c) => c.name === 'coldtrace_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // The session cookie is not readable from scripts.
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    ).not.toContain('coldtrace_session');
    await screenshot(page, 'dashboard');
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('filters the excursion list', async () => {
    const page = await b.context.newPage();
    await page.goto(`${cloud.httpUrl}/excursions`);
    await page.waitForSelector(`#excursions tr[data-id="${excursionId}"]`);
    await page.check('#f-critical');
    await page.locator('#result-count', { hasText: /^0 of/ }).waitFor();
    await page.uncheck('#f-critical');
    await page.selectOption('#f-location', 'reefer-7');
    await page.locator('#result-count', { hasText: /^1 of 1 excursions$/ }).waitFor();
    expect(new URL(page.url()).search).toBe('?location=reefer-7');
    await screenshot(page, 'excursion-list');
    await page.click(`#excursions tr[data-id="${excursionId}"] a`);
    await page.waitForSelector('#excursion-chart');
    expect(decodeURIComponent(new URL(page.url()).pathname)).toBe(`/excursions/${excursionId}`);
    await page.close();
  });

  it('draws the excursion chart from the API readings, with the limits and the excursion shaded', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${cloud.httpUrl}/excursions/${encodeURIComponent(excursionId)}`);
    await page.waitForSelector('#excursion-chart polyline.series');
    const chart = await readChart(page);
    expect(chart.series.map((s) => s.sensor)).toEqual(['reefer-7a', 'reefer-7b']);
    // Map every drawn vertex back to (time, °C) and compare with the API's readings.
    for (const s of chart.series) {
      const expected = apiReadings.filter((r) => r.sensorId === s.sensor).sort((x, y) => x.ts - y.ts);
      expect(s.points).toHaveLength(expected.length);
      const msPerPx = (chart.x1 - chart.x0) / chart.plot.w;
      const cPerPx = (chart.y1 - chart.y0) / chart.plot.h;
      s.points.forEach(([x, y], i) => {
        const ts = chart.x0 + (x - chart.plot.x) * msPerPx;
        const c = chart.y1 - (y - chart.plot.y) * cPerPx;
        expect(Math.abs(ts - expected[i]!.ts)).toBeLessThanOrEqual(msPerPx);
        expect(Math.abs(c - expected[i]!.tempC)).toBeLessThanOrEqual(cPerPx);
      });
    }
    // Limit lines at 2 and 8 °C, drawn where those temperatures map to across the whole plot.
    expect(chart.limits.map((l) => l.c)).toEqual([2, 8]);
    for (const l of chart.limits) {
      const y = chart.plot.y + (1 - (l.c - chart.y0) / (chart.y1 - chart.y0)) * chart.plot.h;
      expect(Math.abs(l.drawnY - y), `limit ${l.c} °C drawn at y=${l.drawnY}, expected ${y}`).toBeLessThan(1);
      // Across the plot (the layout box includes the stroke's half width at the ends).
      expect(Math.abs(l.drawnX0 - chart.plot.x)).toBeLessThan(1.5);
      expect(Math.abs(l.drawnX1 - (chart.plot.x + chart.plot.w))).toBeLessThan(1.5);
    }
    // The shaded band spans the excursion.
    const res = await fetch(`${cloud.httpUrl}/api/v1/excursions/${encodeURIComponent(excursionId)}`, {
      headers: await bearer(cloud, ['viewer']),
    });
    const ex = (await res.json()) as {
      startTs: number;
      endTs: number;
      durationMs: number;
      peakC: number;
      mktC: number;
      degreeMinutes: number;
    };
    expect(chart.shade).toEqual({ from: ex.startTs, to: ex.endTs });
    expect(chart.shadeBox.x).toBeCloseTo(
      chart.plot.x + ((ex.startTs - chart.x0) / (chart.x1 - chart.x0)) * chart.plot.w,
      0,
    );
    // The statistics shown are the API's.
    expect(await page.textContent('[data-k="peak"]')).toBe(`${ex.peakC.toFixed(1)} °C`);
    expect(await page.textContent('[data-k="duration"]')).toBe(
      `${Math.floor(ex.durationMs / MIN)} min${ex.durationMs % MIN ? ` ${(ex.durationMs % MIN) / 1000} s` : ''}`,
    );
    expect(await page.textContent('[data-k="mkt"]')).toBe(`${ex.mktC.toFixed(2)} °C`);
    expect(await page.textContent('[data-k="degree-minutes"]')).toBe(`${ex.degreeMinutes.toFixed(1)} °C·min`);
    // Sensors by name where master data has one (the other by its id), in the facts and the legend.
    expect(await page.textContent('[data-k="sensors"]')).toBe('Reefer probe A, reefer-7b');
    const legend = await page.locator('#excursion-chart text.legend').allTextContents();
    expect(legend.join(' ')).toContain('Reefer probe A');
    await screenshot(page, 'excursion-detail');
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('shows gateways with state, last seen, backlog, readers and sensors, and reused sequence numbers', async () => {
    // The truck's buffer.db was rolled back: readings 1–2 come again as other readings (of a yard without
    // master data, so the excursion under test is untouched). Kept in a fork, and the page says so.
    const c = await cloud.connect('truck-7', truckSecret);
    const again = readings(2, { sensorId: 'yard-7a', locationId: 'yard-7', stepMs: MIN });
    await c.publishAsync(
      gatewayTopic('truck-7', 'readings'),
      JSON.stringify(readingsBatch('truck-7', again)),
      {
        qos: 1,
      },
    );
    await c.endAsync();
    const page = await b.context.newPage();
    await page.goto(`${cloud.httpUrl}/gateways`);
    await page.waitForSelector('section.gateway[data-id="truck-7"]');
    const text = await page.textContent('section.gateway[data-id="truck-7"]');
    expect(text).toContain('online');
    expect(text).toContain('12 records, 4 KiB');
    expect(text).toContain('door-7');
    // The sensor by its name, its location and the reader's portal by name; ids on hover.
    expect(text).toContain('Truck 7 door');
    expect(text).toContain('Reefer probe A');
    expect(text).toContain('Reefer 7');
    expect(
      await page.getAttribute('section.gateway[data-id="truck-7"] span.named[data-id="reefer-7a"]', 'title'),
    ).toContain('reefer-7a');
    expect(text).toContain(new Date(T0 + 40 * MIN).toISOString().slice(0, 16).replace('T', ' '));
    expect(await page.textContent('section.gateway[data-id="truck-7"] .sequence-reuses')).toMatch(
      /^readings at .+: 2 records kept in fork ~1 \(buffer\.db rolled back\)$/,
    );
    await screenshot(page, 'gateways');
    await page.close();
  });

  it('a viewer sees no signing form and the API refuses a viewer’s disposition', async () => {
    const ctx = await b.browser.newContext();
    const page = await ctx.newPage();
    try {
      await logIn(page, cloud.httpUrl, 'vera', viewer.password);
      await page.goto(`${cloud.httpUrl}/excursions/${encodeURIComponent(excursionId)}`);
      await page.waitForSelector('#excursion-chart');
      await page.waitForSelector('#affected-lots h2');
      await page.waitForSelector('article.lot[data-lot="LOT-A"]');
      expect(await page.locator('form.disposition').count()).toBe(0);
      expect(await page.locator('.sign-denied').count()).toBe(2);
      // Straight to the API from the viewer's own session, with a valid CSRF token: 403.
      const status = await page.evaluate(async (id) => {
        const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
        const res = await fetch(`/api/v1/excursions/${encodeURIComponent(id)}/dispositions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
          body: JSON.stringify({
            excursionId: id,
            lotId: 'any',
            decision: 'release',
            reason: 'x',
            username: 'vera',
            password: 'x',
          }),
        });
        return res.status;
      }, excursionId);
      expect(status).toBe(403);
      await screenshot(page, 'excursion-detail-viewer');
    } finally {
      await ctx.close();
    }
  });

  it('QA releases one lot and rejects another with e-signatures; locks and audit follow', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    page.setDefaultTimeout(8000);
    const url = `${cloud.httpUrl}/excursions/${encodeURIComponent(excursionId)}`;
    await page.goto(url);
    const lotA = page.locator('article.lot[data-lot="LOT-A"]');
    const lotB = page.locator('article.lot[data-lot="LOT-B"]');
    await lotA.waitFor();
    expect(await lotA.locator('.lock-state').textContent()).toContain('3 locked');
    expect(await lotA.locator('[data-k="where"]').textContent()).toBe('3 at Reefer 7');
    expect(await lotA.locator('[data-k="assessment"]').textContent()).toBe('within stability budget');
    // The lot by its number; both lot MKTs, labelled, as the API gives them.
    expect(await lotA.locator('h3 a').textContent()).toBe('Lot L2026A');
    const detail = (await (
      await fetch(`${cloud.httpUrl}/api/v1/excursions/${encodeURIComponent(excursionId)}`, {
        headers: await bearer(cloud, ['viewer']),
      })
    ).json()) as {
      affectedLots: Array<{ lotId: string; assessment: { mktC: number; custodyMktC: number } }>;
    };
    const assessed = detail.affectedLots.find((l) => l.lotId === 'LOT-A')!.assessment;
    expect(assessed.custodyMktC).toEqual(expect.any(Number));
    expect(await lotA.locator('dt').allTextContents()).toEqual(
      expect.arrayContaining(['Lot MKT over its excursions', 'Lot MKT over its custody so far']),
    );
    expect(await lotA.locator('[data-k="mkt-excursions"]').textContent()).toBe(
      `${assessed.mktC.toFixed(2)} °C`,
    );
    expect(await lotA.locator('[data-k="mkt-custody"]').textContent()).toBe(
      `${assessed.custodyMktC.toFixed(2)} °C`,
    );
    // Units by GTIN and serial; no hex EPC on the page until asked for.
    const hexes = [...EPCS['LOT-A'], ...EPCS['LOT-B']];
    const visible = async () => page.locator('#main').innerText();
    for (const hex of hexes) expect(await visible()).not.toContain(hex);
    await lotA.locator('details.exposed-units > summary').click();
    expect(await lotA.locator('ul.units').innerText()).toContain(`GTIN ${GTIN} · serial 1001`);
    for (const hex of hexes) expect(await visible()).not.toContain(hex);
    const first = lotA.locator(`.unit[data-epc="${EPCS['LOT-A'][0]}"]`);
    await first.locator('summary.epc-toggle').click();
    expect(await first.innerText()).toContain(EPCS['LOT-A'][0]!);
    // Within its budget, a release needs no justification: the field is not shown (the form's layout
    // must not unhide it), while the reason field is.
    expect(await lotA.locator('form.disposition label.justification').isHidden()).toBe(true);
    expect(await lotA.locator('form.disposition textarea.f-reason').isVisible()).toBe(true);
    await screenshot(page, 'disposition-before');

    // No decision is chosen for the reviewer: the form waits for one, and says what each would mean.
    expect(await lotA.locator('.f-decision').inputValue()).toBe('');
    expect(await lotA.locator('.meaning').textContent()).toMatch(/^Choose release or reject/);
    // A wrong password is no signature.
    await lotA.locator('.f-decision').selectOption('release');
    await lotA.locator('.f-reason').fill('Within stability budget');
    await lotA.locator('.f-password').fill('not my password');
    await lotA.locator('.f-sign').click();
    await lotA.locator('.form-msg', { hasText: 'refused' }).waitFor();
    expect(await lotA.locator('.lock-state').textContent()).toContain('3 locked');

    // Release lot A.
    await lotA.locator('.f-decision').selectOption('release');
    expect(await lotA.locator('.meaning').textContent()).toMatch(/^Release: I have reviewed/);
    await lotA.locator('.f-password').fill(qa.password);
    await Promise.all([page.waitForEvent('load'), lotA.locator('.f-sign').click()]);
    await lotA.waitFor();
    expect(await lotA.locator('.lock-state').textContent()).toContain('0 locked');
    expect(await lotA.locator('.lock-state').textContent()).toContain('3 released');
    expect(await lotA.locator('[data-k="decision"]').textContent()).toMatch(
      /^release by Quinn QA at .* — Within stability budget$/,
    );
    expect(await lotA.locator('form.disposition').count()).toBe(0);

    // Reject lot B.
    await lotB.locator('.f-decision').selectOption('reject');
    expect(await lotB.locator('.meaning').textContent()).toMatch(/^Reject: /);
    await lotB.locator('.f-reason').fill('Reefer failure; customer complaint risk');
    await lotB.locator('.f-password').fill(qa.password);
    await Promise.all([page.waitForEvent('load'), lotB.locator('.f-sign').click()]);
    await lotB.waitFor();
    expect(await lotB.locator('.lock-state').textContent()).toContain('3 rejected');
    expect(await lotB.locator('[data-k="decision"]').textContent()).toMatch(/^reject by Quinn QA/);
    // 21 CFR 11.50(b): the signature's meaning is shown with its name and time.
    expect(await lotB.locator('[data-k="signature-meaning"]').textContent()).toMatch(
      /^Quinn QA: Reject: I have reviewed the temperature excursion/,
    );
    expect(await page.textContent('h1')).toContain('review: decided');
    const audit = await page.textContent('#audit-history');
    expect(audit).toContain('disposition.release');
    expect(audit).toContain('disposition.reject');
    await screenshot(page, 'disposition-after');

    // The API agrees: every lock of the excursion is released or rejected by the signed decisions.
    const locks = (await (
      await fetch(`${cloud.httpUrl}/api/v1/locks?excursionId=${encodeURIComponent(excursionId)}`, {
        headers: await bearer(cloud, ['viewer']),
      })
    ).json()) as Array<{ epc: string; state: string }>;
    const stateOf = (epc: string) => locks.find((l) => l.epc === epc)?.state;
    expect(EPCS['LOT-A'].map(stateOf)).toEqual(['released', 'released', 'released']);
    expect(EPCS['LOT-B'].map(stateOf)).toEqual(['rejected', 'rejected', 'rejected']);

    // The lot page shows the decision and no locked unit, built from the lot endpoints (temperature,
    // trace), not from per-unit and per-location requests assembled in the browser.
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${cloud.httpUrl}/lots/LOT-A`);
    await page.waitForSelector('#units');
    expect(await page.textContent('#lot-lock-state')).toContain('0 / 3 units locked');
    expect(await page.textContent('#lot-decisions')).toContain('Quinn QA (quinn)');
    expect(await page.textContent('#custody')).toContain('Reefer 7');
    // The lot by its number, both lot MKTs labelled as the API gives them, units by GTIN and serial and no
    // hex EPC until asked for.
    const lotApi = (await (
      await fetch(`${cloud.httpUrl}/api/v1/lots/LOT-A`, { headers: await bearer(cloud, ['viewer']) })
    ).json()) as { mktC: number; custodyMktC: number };
    expect(await page.textContent('h1')).toContain('Lot L2026A');
    expect(await page.textContent('[data-k="mkt-excursions"]')).toBe(`${lotApi.mktC.toFixed(2)} °C`);
    expect(await page.textContent('[data-k="mkt-custody"]')).toBe(`${lotApi.custodyMktC.toFixed(2)} °C`);
    expect(await page.textContent('#lot-facts [data-k="where"]')).toBe('3 at Reefer 7');
    const lotText = await page.locator('#main').innerText();
    for (const hex of EPCS['LOT-A']) expect(lotText).not.toContain(hex);
    expect(await page.locator('#units').innerText()).toContain(`GTIN ${GTIN} · serial 1002`);
    expect(await page.locator('figure.chart-box polyline.series').count()).toBe(2);
    expect(requested).toContain('/api/v1/lots/LOT-A/temperature');
    expect(requested).toContain('/api/v1/lots/LOT-A/trace');
    expect(requested.filter((p) => p.startsWith('/api/v1/epcs/') || p === '/api/v1/readings')).toEqual([]);
    const viewerAuth = await bearer(cloud, ['viewer']);
    const temperature = (await (
      await fetch(`${cloud.httpUrl}/api/v1/lots/LOT-A/temperature?limit=20000`, { headers: viewerAuth })
    ).json()) as { readings: ApiReading[] };
    const drawn = await page
      .locator('figure.chart-box polyline.series')
      .evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-count'))));
    expect(drawn.reduce((a, b) => a + b, 0)).toBe(temperature.readings.length);
    expect(temperature.readings.length).toBe(80);
    expect(await page.textContent('#units-count')).toBe('3 of 3 units shown.');
    expect(await page.locator('#units-more').isHidden()).toBe(true);
    for (const epc of EPCS['LOT-A']) {
      const row = page.locator(`#units tr[data-epc="${epc}"]`);
      expect(await row.getAttribute('data-state')).toBe('released');
      expect(await row.locator('.custody-path').textContent()).toMatch(/^Reefer 7 .* – now$/);
    }
    await screenshot(page, 'lot');

    // LOT-B was rejected: its page says the units await destruction or return until QA records it, signed.
    await page.goto(`${cloud.httpUrl}/lots/LOT-B`);
    await page.waitForSelector('#rejected-stock');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toMatch(
      /^Rejected — 3 units at Reefer 7 \(3\), awaiting destruction or return/,
    );
    await page.locator('.f-outcome').selectOption('destroyed');
    expect(await page.locator('form.closure .meaning').textContent()).toMatch(/^Destruction recorded/);
    await page.locator('.f-reference').fill('DC-2026-044');
    await page.locator('.f-closure-reason').fill('Incinerated by the licensed contractor');
    await page.locator('.f-closure-password').fill(qa.password);
    await Promise.all([page.waitForEvent('load'), page.locator('.f-close').click()]);
    await page.waitForSelector('#stock-closures');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toBe(
      'No rejected unit awaits destruction or return.',
    );
    expect(await page.textContent('#stock-closures')).toContain('DC-2026-044');
    await screenshot(page, 'lot-rejected-closed');

    // The audit page lists the signatures and the chain verifies.
    await page.goto(`${cloud.httpUrl}/audit`);
    await page.waitForSelector('table.audit');
    const actions = await page.locator('table.audit .audit-action').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['disposition.release', 'disposition.reject']));
    await page.click('#verify');
    await page.locator('#verify-result', { hasText: 'chain intact' }).waitFor();
    await screenshot(page, 'audit');
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('the lot page lists every unit of a 600-unit lot, paging through the trace, and its whole timeline', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${cloud.httpUrl}/lots/LOT-C`);
    await page.waitForSelector('#units');
    // The custody timeline covers every unit (the server merges all of them), not the first 200.
    const timeline = await page.locator('#custody tbody tr').allTextContents();
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatch(/^Store 9.*still there600$/);
    expect(await page.textContent('#units-count')).toBe('500 of 600 units shown.');
    expect(await page.locator('#units tbody tr').count()).toBe(500);
    await page.click('#units-more');
    await page.locator('#units-count', { hasText: '600 of 600 units shown.' }).waitFor();
    expect(await page.locator('#units-more').isHidden()).toBe(true);
    const shown = await page
      .locator('#units tbody tr')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-epc')));
    expect(shown).toEqual([...BIG_LOT].sort());
    expect(await page.locator('#units tbody tr[data-state="free"]').count()).toBe(600);
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('the audit page shows the newest entries first and pages back to the oldest; the chain still verifies', async () => {
    const all = (await (
      await fetch(`${cloud.httpUrl}/api/v1/audit?limit=10000`, { headers: await bearer(cloud, ['viewer']) })
    ).json()) as Array<{ seq: number }>;
    const newestFirst = all.map((e) => e.seq).reverse();
    expect(newestFirst.length).toBeGreaterThan(20);
    // About six pages, the last one partial.
    const size = Math.ceil(newestFirst.length / 6) + 1;
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${cloud.httpUrl}/audit?limit=${size}`);
    await page.waitForSelector('table.audit tbody tr[data-seq]');
    const seqs = () =>
      page
        .locator('table.audit tbody tr[data-seq]')
        .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-seq'))));
    expect(await seqs()).toEqual(newestFirst.slice(0, size));
    expect(await page.textContent('#audit-count')).toBe(`${size} entries shown, newest first.`);
    let pages = 1;
    while (await page.locator('#audit-more').isVisible()) {
      const after = Math.min((await seqs()).length + size, newestFirst.length);
      pages++;
      await page.click('#audit-more');
      await page.locator('#audit-count', { hasText: new RegExp(`^${after} entries shown`) }).waitFor();
    }
    expect(await seqs()).toEqual(newestFirst);
    expect(pages).toBe(Math.floor(newestFirst.length / size) + 1);
    expect(await page.textContent('#audit-count')).toBe(
      `${newestFirst.length} entries shown, newest first (all).`,
    );
    await page.click('#verify');
    await page
      .locator('#verify-result', { hasText: `chain intact all ${newestFirst.length} entries verified` })
      .waitFor();
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('logging out ends the session', async () => {
    const page = await b.context.newPage();
    await page.goto(`${cloud.httpUrl}/`);
    await page.waitForSelector('#logout');
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.click('#logout')]);
    await page.goto(`${cloud.httpUrl}/audit`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.close();
  });
});

interface ChartData {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  plot: { x: number; y: number; w: number; h: number };
  series: Array<{ sensor: string; points: Array<[number, number]> }>;
  /** Each limit line: its `data-c` and where it was really drawn (SVG user units, from its layout box). */
  limits: Array<{ c: number; drawnY: number; drawnX0: number; drawnX1: number }>;
  shade: { from: number; to: number | null };
  shadeBox: { x: number; width: number };
}

/** Reads what the SVG really drew: polyline vertices, limit lines, the shaded band, the axis domains. */
async function readChart(page: Page): Promise<ChartData> {
  const svg = page.locator('#excursion-chart');
  const num = async (l: ReturnType<Page['locator']>, a: string) => Number(await l.getAttribute(a));
  const [px, py, pw, ph] = (await svg.getAttribute('data-plot'))!.split(',').map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const shade = svg.locator('rect.excursion-shade').first();
  const series = [];
  for (const p of await svg.locator('polyline.series').all()) {
    series.push({
      sensor: (await p.getAttribute('data-sensor'))!,
      points: (await p.getAttribute('points'))!
        .trim()
        .split(/\s+/)
        .map((xy) => xy.split(',').map(Number) as [number, number]),
    });
  }
  // Layout boxes in CSS pixels, mapped back to the SVG's user units through the viewBox.
  const svgBox = (await svg.boundingBox())!;
  const viewBoxWidth = Number((await svg.getAttribute('viewBox'))!.split(/\s+/)[2]);
  const scale = svgBox.width / viewBoxWidth;
  const limits = [];
  for (const l of await svg.locator('line.limit').all()) {
    const box = (await l.boundingBox())!;
    limits.push({
      c: await num(l, 'data-c'),
      drawnY: (box.y + box.height / 2 - svgBox.y) / scale,
      drawnX0: (box.x - svgBox.x) / scale,
      drawnX1: (box.x + box.width - svgBox.x) / scale,
    });
  }
  const to = await shade.getAttribute('data-to');
  return {
    x0: await num(svg, 'data-x0'),
    x1: await num(svg, 'data-x1'),
    y0: await num(svg, 'data-y0'),
    y1: await num(svg, 'data-y1'),
    plot: { x: px, y: py, w: pw, h: ph },
    series,
    limits: limits.sort((a, b) => a.c - b.c),
    shade: { from: await num(shade, 'data-from'), to: to ? Number(to) : null },
    shadeBox: { x: await num(shade, 'x'), width: await num(shade, 'width') },
  };
}
