import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemoUser } from '@coldtrace/cloud/auth/demo-users';
import { type Cloud, startCloud } from '@coldtrace/cloud/cloud';
import { scenarioClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { bearer } from '../../../cloud/test/helpers/auth.js';
import {
  type BrowserSession,
  browserMissing,
  launchBrowser,
  logIn,
  screenshot,
  watchErrors,
} from '../../../cloud/test/pages/browser.js';
import { socatMissing as socatMissingReason } from '../../src/modbus/socat-pair.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { runScenario } from '../../src/scenario/runner.js';
import { lotUnits } from './demo-epcis-helpers.js';
import { type ApiReading, chartScale, type ExcursionView, readChart } from './demo-pages-helpers.js';

/**
 * GitHub issue 7 acceptance: "log in; open the demo's excursion; the chart is really drawn with data".
 * One run of the demo journey (real cloud, real gateways, LLRP simulators over TCP, Modbus buses on socat
 * pseudo-terminals), its cloud database kept; a cloud started on that database with its clock standing at
 * the scenario's end; a QA user made as `npm run demo` makes one. Then Debian's chromium: the login page,
 * the dashboard, a click on the truck excursion, and the SVG the page drew is read back and compared with
 * the API: every vertex is a reading of the location, the limit lines are the location's 2 / 8 °C, the
 * shaded band is the excursion. Last, QA signs a release of LOT-A (21 CFR 11.50, 11.200(a)) on the page:
 * the lock state and the excursion's audit history change there and in the API.
 */
const DEMO = join(dirname(fileURLToPath(import.meta.url)), '../../scenarios/demo-journey.yaml');

const socatMissing = socatMissingReason();
const skipReason = browserMissing() ?? socatMissing;
if (skipReason) console.warn(`SKIPPED demo pages in a real browser: ${skipReason}`);

const MIN = 60_000;
const BAD_CONSOLE = /Refused|Uncaught|TypeError|ReferenceError/;

describe.skipIf(skipReason !== null)('demo journey in a real browser (issue 7 acceptance)', () => {
  it('logs in, opens the demo excursion, the chart is drawn from its readings, QA releases the lot', {
    timeout: 240_000,
  }, async () => {
    const loaded = loadScenario(DEMO);
    const s = loaded.scenario;
    const startMs = Date.parse(s.start);
    const endMs = startMs + s.duration;
    const lot = s.lots[0]!;
    const unitCount = lotUnits(lot).size;
    const dataDir = mkdtempSync(join(tmpdir(), 'coldtrace-demo-pages-'));
    let cloud: Cloud | undefined;
    let b: BrowserSession | undefined;
    let passed = false;
    try {
      const run = await runScenario(loaded, { dataDir, keep: true });
      expect(run.eventErrors, 'every timeline event was carried out').toEqual([]);
      console.log(
        `demo journey: ${(run.simulatedMs / 3_600_000).toFixed(1)} h simulated in ${(run.wallMs / 1000).toFixed(1)} s`,
      );
      const truck = run.observed.excursions.filter((e) => e.locationId === 'truck-7');
      expect(truck, 'the reefer failure gave one excursion at truck-7').toHaveLength(1);
      const excursionId = truck[0]!.id;

      // The demo's cloud database, its clock standing at the scenario's end.
      cloud = await startCloud(
        {
          database: `sqlite:${join(dataDir, 'cloud.db')}`,
          http: { host: '127.0.0.1', port: 0 },
          mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
          logLevel: 'silent',
        },
        {
          clock: scenarioClock({
            startMs: endMs,
            realAnchorMs: Number.POSITIVE_INFINITY,
            scale: 1,
            tickMs: 0,
          }),
        },
      );
      const base = cloud.httpUrl;
      const qa = await createDemoUser(
        cloud.store,
        { username: 'qa-demo', printedName: 'Quinn QA', roles: ['qa'] },
        endMs,
      );
      expect(qa, 'a fresh QA user on the demo database').not.toBeNull();
      const viewer = await bearer(cloud, ['viewer']);
      const api = async <T>(path: string): Promise<T> => {
        const res = await fetch(`${base}${path}`, { headers: viewer });
        const text = await res.text();
        expect(res.status, `GET ${path}: ${text}`).toBe(200);
        return JSON.parse(text) as T;
      };
      const exPath = `/api/v1/excursions/${encodeURIComponent(excursionId)}`;
      const ex = await api<ExcursionView>(exPath);
      expect(ex.endTs, 'the excursion ended (the compressor was restarted)').not.toBeNull();
      const exEnd = ex.endTs!;
      // The scenario's own expectation: 3 h 35 min … 6 h 28 min, ±4 min (demo-journey.yaml `expect`).
      expect(Math.abs(ex.startTs - (startMs + 215 * MIN))).toBeLessThanOrEqual(4 * MIN);
      expect(Math.abs(exEnd - (startMs + 388 * MIN))).toBeLessThanOrEqual(4 * MIN);
      const apiLot = ex.affectedLots.find((l) => l.lotId === lot.id);
      expect(apiLot, `${lot.id} is affected`).toBeDefined();
      expect(apiLot!.lockedUnits, `every case of ${lot.id} is locked`).toBe(unitCount);

      b = await launchBrowser();
      const page = await b.context.newPage();
      page.setDefaultTimeout(20_000);
      const errors = watchErrors(page);

      // Log in through the login page; the dashboard lists the excursion as needing review.
      await logIn(page, base, 'qa-demo', qa!.password);
      expect(new URL(page.url()).pathname).toBe('/');
      const link = page.locator(`#open-excursions a[href="/excursions/${encodeURIComponent(excursionId)}"]`);
      await link.waitFor();
      expect(await page.textContent('#whoami')).toBe('Quinn QA (qa)');
      expect(await page.textContent('#locked-lots tbody')).toContain(`${unitCount} / ${unitCount}`);
      await screenshot(page, 'demo-dashboard');

      // Open the excursion from the dashboard; note which readings the page asked for.
      const readingsRequest = page.waitForRequest((r) => r.url().includes('/api/v1/readings?'));
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/excursions/')), link.click()]);
      expect(decodeURIComponent(new URL(page.url()).pathname)).toBe(`/excursions/${excursionId}`);
      const asked = new URL((await readingsRequest).url());
      expect(asked.searchParams.get('locationId')).toBe('truck-7');
      // The window asked for holds the whole excursion.
      expect(Number(asked.searchParams.get('from'))).toBeLessThanOrEqual(ex.startTs);
      expect(Number(asked.searchParams.get('to'))).toBeGreaterThanOrEqual(exEnd);
      await page.waitForSelector('#excursion-chart polyline.series');

      // The same query straight to the API, as an integration would make it.
      const readings = await api<ApiReading[]>(`/api/v1/readings?${asked.searchParams}`);
      expect(readings.length, 'readings around the excursion').toBeGreaterThan(100);
      const chart = await readChart(page);
      const sensors = [...new Set(readings.map((r) => r.sensorId))].sort();
      expect(chart.series.map((x) => x.sensor)).toEqual(sensors);
      const sc = chartScale(chart);
      let hot = 0;
      for (const series of chart.series) {
        const expected = readings.filter((r) => r.sensorId === series.sensor).sort((x, y) => x.ts - y.ts);
        expect(series.count, `${series.sensor}: data-count`).toBe(expected.length);
        expect(series.points, `${series.sensor}: drawn vertices`).toHaveLength(expected.length);
        // Every vertex, mapped back through the axes, is its reading (the SVG rounds to 0.01 px).
        series.points.forEach((p, i) => {
          const got = sc.toData(p);
          const want = expected[i]!;
          expect(Math.abs(got.ts - want.ts), `${series.sensor} #${i} time`).toBeLessThanOrEqual(
            sc.msPerPx * 0.01,
          );
          expect(Math.abs(got.tempC - want.tempC), `${series.sensor} #${i} °C`).toBeLessThanOrEqual(
            sc.cPerPx * 0.01,
          );
          if (want.ts >= ex.startTs && want.ts <= exEnd && got.tempC > 8) hot += 1;
        });
      }
      // A sample named by value: the hottest drawn vertex (smallest y) is the excursion's peak, inside it.
      const top = sc.toData(chart.series.flatMap((x) => x.points).reduce((m, p) => (p[1] < m[1] ? p : m)));
      expect(top.tempC).toBeCloseTo(ex.peakC, 1);
      expect(top.ts).toBeGreaterThanOrEqual(ex.startTs);
      expect(top.ts).toBeLessThanOrEqual(exEnd);
      expect(hot, 'vertices above 8 °C inside the shaded excursion').toBeGreaterThan(50);
      expect(ex.peakC, 'past the 5 °C critical margin').toBeGreaterThan(13);
      // Limit lines at the location's 2 and 8 °C; the shaded band spans the excursion.
      expect(chart.limits).toEqual([2, 8]);
      expect(chart.shade).toEqual({ from: ex.startTs, to: exEnd });
      expect(Math.abs(chart.shadeBox.x - sc.xOf(ex.startTs))).toBeLessThanOrEqual(0.01);
      expect(Math.abs(chart.shadeBox.width - (sc.xOf(exEnd) - sc.xOf(ex.startTs)))).toBeLessThanOrEqual(0.02);
      expect(await page.textContent('[data-k="peak"]')).toBe(`${ex.peakC.toFixed(1)} °C`);

      // The affected lots: the demo's lot with every case locked, a signing form for QA.
      const card = page.locator(`article.lot[data-lot="${lot.id}"]`);
      await card.waitFor();
      expect(await page.locator('article.lot').count()).toBe(ex.affectedLots.length);
      expect(await card.locator('.lock-state').textContent()).toContain(`${unitCount} locked`);
      expect(await card.locator('.lock-state').textContent()).toContain(`of ${unitCount} exposed`);
      await page.locator('#audit-history table.audit').waitFor();
      const seqsBefore = (await page.locator('#audit-history tr[data-seq]').all()).length;
      expect(seqsBefore, 'the page shows the excursion’s audit history').toBe(ex.audit.length);
      expect(await page.locator('#audit-history .audit-action').allTextContents()).not.toContain(
        'disposition.release',
      );
      await screenshot(page, 'demo-excursion');

      // QA signs a release with the password (21 CFR 11.200(a)(1)); the page reloads with the new state.
      await card.locator('.f-decision').selectOption('release');
      expect(await card.locator('.meaning').textContent()).toMatch(/^Release: I have reviewed/);
      await card.locator('.f-reason').fill('Demo: reviewed the reefer data, within stability budget');
      await card.locator('.f-password').fill(qa!.password);
      await Promise.all([page.waitForEvent('load'), card.locator('.f-sign').click()]);
      await card.locator('.lock-state', { hasText: `${unitCount} released` }).waitFor();
      expect(await card.locator('.lock-state').textContent()).toContain('0 locked');
      expect(await card.locator('[data-k="decision"]').textContent()).toMatch(
        /^release by Quinn QA at .* — Demo: reviewed the reefer data/,
      );
      expect(await card.locator('form.disposition').count()).toBe(0);
      // Its only lot decided, the excursion's review is complete.
      expect(await page.textContent('h1')).toContain('review: decided');
      await page.locator('#audit-history .audit-action', { hasText: 'disposition.release' }).waitFor();
      expect((await page.locator('#audit-history tr[data-seq]').all()).length).toBeGreaterThan(seqsBefore);
      await screenshot(page, 'demo-released');

      // The API agrees: the lot's locks are released and the audit trail has the signed decision.
      const after = await api<ExcursionView>(exPath);
      const lotAfter = after.affectedLots.find((l) => l.lotId === lot.id)!;
      expect(lotAfter).toMatchObject({ lockedUnits: 0, releasedUnits: unitCount });
      const maxBefore = Math.max(0, ...ex.audit.map((a) => a.seq));
      expect(
        after.audit.filter((a) => a.seq > maxBefore).map((a) => a.action),
        'new audit entries',
      ).toContain('disposition.release');
      const locks = await api<Array<{ state: string }>>(
        `/api/v1/locks?excursionId=${encodeURIComponent(excursionId)}`,
      );
      expect(locks.filter((l) => l.state === 'released')).toHaveLength(unitCount);
      expect(errors.filter((e) => BAD_CONSOLE.test(e))).toEqual([]);
      await page.close();
      passed = true;
    } finally {
      await b?.close();
      await cloud?.close();
      // Kept when the test failed: cloud.db, cloud.log and scenario.log explain what happened.
      if (passed) rmSync(dataDir, { recursive: true, force: true });
      else console.error(`demo pages test failed: run data kept in ${dataDir}`);
    }
  });
});
