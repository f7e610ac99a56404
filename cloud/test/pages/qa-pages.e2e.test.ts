import { gatewayTopic } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { browserMissing, logIn, screenshot, watchErrors } from './browser.js';
import { readChart } from './excursion-chart-reader.js';
import { MIN, useQaJourney } from './qa-journey-fixture.js';

const missing = browserMissing();
if (missing) console.warn(missing);

describe.skipIf(missing !== null)('QA pages in a real browser', () => {
  const j = useQaJourney();

  it('refuses a wrong password on the login page and stays there', async () => {
    const page = await j.b.context.newPage();
    await page.goto(`${j.cloud.httpUrl}/excursions`);
    expect(new URL(page.url()).pathname).toBe('/login'); // redirected: no session yet
    await page.fill('#username', 'quinn');
    await page.fill('#password', 'not my password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toBe('invalid username or password');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect((await j.b.context.cookies()).find((c) => c.name === 'coldtrace_session')).toBeUndefined();
    await screenshot(page, 'login-refused');
    await page.close();
  });

  it('logs in, shows the dashboard with the open excursion and the online gateway', async () => {
    const page = await j.b.context.newPage();
    const errors = watchErrors(page);
    await logIn(page, j.cloud.httpUrl, 'quinn', j.qa.password);
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
    const link = page.locator(`#open-excursions a[data-id="${j.excursionId}"]`);
    expect(await link.textContent()).toMatch(/^Reefer 7 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    expect(await page.textContent('#open-excursions tbody')).not.toContain(j.excursionId);
    // Names instead of ids: the location by its name (its id on hover), lots by their lot number.
    const where = page.locator('#open-excursions span.named[data-id="reefer-7"]');
    expect(await where.textContent()).toBe('Reefer 7');
    expect(await where.getAttribute('title')).toContain('reefer-7');
    expect(await page.textContent('#locked-lots tr[data-lot="LOT-A"] a')).toBe('L2026A');
    expect(await page.textContent('#gateways tbody')).toContain('12 records');
    const cookie = (await j.b.context.cookies()).find((c) => c.name === 'coldtrace_session');
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
    const page = await j.b.context.newPage();
    await page.goto(`${j.cloud.httpUrl}/excursions`);
    await page.waitForSelector(`#excursions tr[data-id="${j.excursionId}"]`);
    await page.check('#f-critical');
    await page.locator('#result-count', { hasText: /^0 of/ }).waitFor();
    await page.uncheck('#f-critical');
    await page.selectOption('#f-location', 'reefer-7');
    await page.locator('#result-count', { hasText: /^1 of 1 excursions$/ }).waitFor();
    expect(new URL(page.url()).search).toBe('?location=reefer-7');
    await screenshot(page, 'excursion-list');
    await page.click(`#excursions tr[data-id="${j.excursionId}"] a`);
    await page.waitForSelector('#excursion-chart');
    expect(decodeURIComponent(new URL(page.url()).pathname)).toBe(`/excursions/${j.excursionId}`);
    await page.close();
  });

  it('draws the excursion chart from the API readings, with the limits and the excursion shaded', async () => {
    const page = await j.b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${j.cloud.httpUrl}/excursions/${encodeURIComponent(j.excursionId)}`);
    await page.waitForSelector('#excursion-chart polyline.series');
    const chart = await readChart(page);
    expect(chart.series.map((s) => s.sensor)).toEqual(['reefer-7a', 'reefer-7b']);
    // Map every drawn vertex back to (time, °C) and compare with the API's readings.
    for (const s of chart.series) {
      const expected = j.apiReadings.filter((r) => r.sensorId === s.sensor).sort((x, y) => x.ts - y.ts);
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
    const res = await fetch(`${j.cloud.httpUrl}/api/v1/excursions/${encodeURIComponent(j.excursionId)}`, {
      headers: await bearer(j.cloud, ['viewer']),
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
    const c = await j.cloud.connect('truck-7', j.truckSecret);
    const again = readings(2, { sensorId: 'yard-7a', locationId: 'yard-7', stepMs: MIN });
    await c.publishAsync(
      gatewayTopic('truck-7', 'readings'),
      JSON.stringify(readingsBatch('truck-7', again)),
      {
        qos: 1,
      },
    );
    await c.endAsync();
    const page = await j.b.context.newPage();
    await page.goto(`${j.cloud.httpUrl}/gateways`);
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
    const ctx = await j.b.browser.newContext();
    const page = await ctx.newPage();
    try {
      await logIn(page, j.cloud.httpUrl, 'vera', j.viewer.password);
      await page.goto(`${j.cloud.httpUrl}/excursions/${encodeURIComponent(j.excursionId)}`);
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
      }, j.excursionId);
      expect(status).toBe(403);
      await screenshot(page, 'excursion-detail-viewer');
    } finally {
      await ctx.close();
    }
  });

  it('logging out ends the session', async () => {
    const page = await j.b.context.newPage();
    await page.goto(`${j.cloud.httpUrl}/`);
    await page.waitForSelector('#logout');
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.click('#logout')]);
    await page.goto(`${j.cloud.httpUrl}/audit`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.close();
  });
});
