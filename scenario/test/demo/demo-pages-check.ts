import { createDemoUser } from '@coldtrace/cloud';
import { bearer, launchBrowser, logIn, screenshot, watchErrors } from '@coldtrace/cloud/testing';
import { expect } from 'vitest';
import { lotUnits } from './demo-epcis-helpers.js';
import {
  type ApiReading,
  chartScale,
  type ExcursionView,
  lockStates,
  readChart,
} from './demo-pages-helpers.js';
import type { DemoRun } from './demo-run.js';

const MIN = 60_000;

interface DemoLot {
  id: string;
  /** EPC hex, upper case. */
  epcs: ReadonlySet<string>;
}
const BAD_CONSOLE = /Refused|Uncaught|TypeError|ReferenceError/;

/**
 * The QA pages on the demo's cloud in a real browser (Debian's chromium): log in; open the demo's
 * excursion from the dashboard; the chart is really drawn with data (the SVG read back and compared with
 * the API: every vertex is a reading of the location, the limit lines are the location's 2 / 8 °C, the
 * shaded band is the excursion); then the signing (21 CFR 11.50, 11.200(a)) on the demo's two lots: a
 * wrong password is refused on the page and changes nothing; a viewer, in a browser context of their own,
 * sees no signing form and the API refuses their attempt; QA releases LOT-A (within its stability budget)
 * and rejects LOT-B (over it) on the page: the lock states per lot and the excursion's audit history
 * (disposition.release, disposition.reject, excursion.decided) change there and in the API. Screenshots
 * go to test-output/screenshots/demo-*.png. Changes the locks: runs after every check that needs them
 * as the run left them.
 */
export async function checkQaPages(d: DemoRun): Promise<void> {
  const { cloud, startMs, endMs, run } = d;
  const s = d.loaded.scenario;
  // The demo's mixed pallet: LOT-A (insulin, 48 h stability budget) and LOT-B (vaccine, 2 h).
  const lots: DemoLot[] = s.lots.map((l) => ({ id: l.id, epcs: new Set(lotUnits(l).keys()) }));
  expect(lots.map((l) => l.id)).toEqual(['LOT-A', 'LOT-B']);
  const [lotA, lotB] = lots as [DemoLot, DemoLot];
  const truck = run.observed.excursions.filter((e) => e.locationId === 'truck-7');
  expect(truck, 'the reefer failure gave one excursion at truck-7').toHaveLength(1);
  const excursionId = truck[0]!.id;
  const b = await launchBrowser();
  try {
    const base = cloud.httpUrl;
    const qa = await createDemoUser(
      cloud.store,
      { username: 'qa-demo', printedName: 'Quinn QA', roles: ['qa'] },
      endMs,
    );
    expect(qa, 'a fresh QA user on the demo database').not.toBeNull();
    // A viewer made the same way: may read everything, may not sign.
    const viewer = await createDemoUser(
      cloud.store,
      { username: 'viewer-demo', printedName: 'Vera Viewer', roles: ['viewer'] },
      endMs,
    );
    expect(viewer, 'a fresh viewer on the demo database').not.toBeNull();
    const token = await bearer(cloud, ['viewer']);
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${base}${path}`, { headers: token });
      const text = await res.text();
      expect(res.status, `GET ${path}: ${text}`).toBe(200);
      return JSON.parse(text) as T;
    };
    const exPath = `/api/v1/excursions/${encodeURIComponent(excursionId)}`;
    const locksByLot = async () =>
      lockStates(
        await api<Array<{ epc: string; state: string }>>(
          `/api/v1/locks?excursionId=${encodeURIComponent(excursionId)}`,
        ),
        lots,
      );
    const allLocked = Object.fromEntries(lots.map((l) => [l.id, { active: l.epcs.size }]));
    const ex = await api<ExcursionView>(exPath);
    expect(ex.endTs, 'the excursion ended (the compressor was restarted)').not.toBeNull();
    const exEnd = ex.endTs!;
    // The scenario's own expectation: 3 h 35 min … 6 h 28 min, ±4 min (demo-journey.yaml `expect`).
    expect(Math.abs(ex.startTs - (startMs + 215 * MIN))).toBeLessThanOrEqual(4 * MIN);
    expect(Math.abs(exEnd - (startMs + 388 * MIN))).toBeLessThanOrEqual(4 * MIN);
    // Both lots were in the truck: every case of each is locked, none decided; nothing uncommissioned.
    expect(ex.affectedLots.map((l) => l.lotId).sort()).toEqual(lots.map((l) => l.id));
    for (const l of lots) {
      const apiLot = ex.affectedLots.find((x) => x.lotId === l.id)!;
      expect(apiLot, l.id).toMatchObject({
        exposedUnits: l.epcs.size,
        lockedUnits: l.epcs.size,
        releasedUnits: 0,
        rejectedUnits: 0,
        totalUnits: l.epcs.size,
      });
      expect([...apiLot.epcs].map((e) => e.toUpperCase()).sort(), l.id).toEqual([...l.epcs].sort());
    }
    expect(ex.reviewState).not.toBe('decided');
    expect(ex.dispositions).toEqual([]);
    expect(await locksByLot()).toEqual(allLocked);
    // The stability budgets tell the story: ~2 h 53 min outside 2–8 °C, within 48 h, over 2 h.
    const assessed = (id: string) => ex.affectedLots.find((x) => x.lotId === id)!.assessment!;
    expect(assessed(lotA.id).timeOutsideMs).toBeGreaterThan(2.5 * 60 * MIN);
    expect(assessed(lotA.id).withinBudget).toBe(true);
    expect(assessed(lotB.id).product!.stabilityBudgetMs).toBe(2 * 60 * MIN);
    expect(assessed(lotB.id).withinBudget).toBe(false);

    const page = await b.context.newPage();
    page.setDefaultTimeout(20_000);
    const errors = watchErrors(page);
    const auditActions = () => page.locator('#audit-history .audit-action').allTextContents();

    // Log in through the login page; the dashboard lists the excursion as needing review.
    await logIn(page, base, 'qa-demo', qa!.password);
    expect(new URL(page.url()).pathname).toBe('/');
    const link = page.locator(`#open-excursions a[href="/excursions/${encodeURIComponent(excursionId)}"]`);
    await link.waitFor();
    expect(await page.textContent('#whoami')).toBe('Quinn QA (qa)');
    for (const l of lots)
      expect(await page.textContent(`#locked-lots tr[data-lot="${l.id}"]`), l.id).toContain(
        `${l.epcs.size} / ${l.epcs.size}`,
      );
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
    // When the alarm fired (start + the truck's alarm delay), and the truck's uplink outage: data the cloud
    // learned of late is shaded.
    const truck = await api<{ alarmDelayMs: number }>('/api/v1/locations/truck-7');
    expect(Number(await page.getAttribute('#excursion-chart line.mark', 'data-ts'))).toBe(
      ex.startTs + truck.alarmDelayMs,
    );
    expect(await page.locator('#excursion-chart rect.late-shade').count()).toBeGreaterThan(0);

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

    // The affected lots: both lots of the mixed pallet, every case locked, a signing form for QA on each.
    // The insulin (48 h budget) is within its stability budget, the vaccine (2 h) is over it.
    expect(await page.locator('article.lot').count()).toBe(ex.affectedLots.length);
    const card = (l: DemoLot) => page.locator(`article.lot[data-lot="${l.id}"]`);
    for (const l of lots) {
      await card(l).waitFor();
      const state = await card(l).locator('.lock-state').textContent();
      expect(state, l.id).toContain(`${l.epcs.size} locked`);
      expect(state, l.id).toContain(`of ${l.epcs.size} exposed`);
      expect(state, l.id).not.toMatch(/released|rejected/);
      expect(await card(l).locator('form.disposition').count(), l.id).toBe(1);
    }
    expect(await card(lotA).locator('[data-k="assessment"]').textContent()).toBe('within stability budget');
    expect(await card(lotB).locator('[data-k="assessment"]').textContent()).toBe('stability budget exceeded');
    expect(await card(lotB).locator('[data-k="outside"]').textContent()).toContain('of 2 h stability budget');
    // Before anyone signs, the page says what releasing LOT-B would take (the two-person rule), and only
    // there; choosing release asks for the justification.
    expect(await card(lotB).locator('[data-k="release-needs"]').textContent()).toMatch(
      /needs a written justification .* and a second QA signature: lot \S+ is past its stability budget/,
    );
    expect(await card(lotA).locator('[data-k="release-needs"]').count()).toBe(0);
    expect(await card(lotB).locator('.f-decision').inputValue()).toBe('');
    await card(lotB).locator('.f-decision').selectOption('release');
    expect(await card(lotB).locator('.f-justification').isVisible()).toBe(true);
    await card(lotA).locator('.f-decision').selectOption('release');
    expect(await card(lotA).locator('.f-justification').isVisible()).toBe(false);
    expect(await page.textContent('h1')).not.toContain('review: decided');
    await page.locator('#audit-history table.audit').waitFor();
    const seqsBefore = (await page.locator('#audit-history tr[data-seq]').all()).length;
    expect(seqsBefore, 'the page shows the excursion’s audit history').toBe(ex.audit.length);
    expect(await auditActions()).not.toContain('disposition.release');
    await screenshot(page, 'demo-excursion');

    // A wrong password is no signature (21 CFR 11.200(a)(1)): a visible refusal, and nothing changes.
    await card(lotB).locator('.f-decision').selectOption('reject');
    await card(lotB).locator('.f-reason').fill('Demo: over the vaccine’s stability budget');
    await card(lotB).locator('.f-password').fill(`${qa!.password}-wrong`);
    await card(lotB).locator('.f-sign').click();
    const refusal = card(lotB).locator('.form-msg.error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe('Signature refused: wrong password.');
    expect(await refusal.isVisible()).toBe(true);
    expect(await card(lotB).locator('.f-password').inputValue(), 'the password field is cleared').toBe('');
    expect(await card(lotB).locator('.lock-state').textContent()).toContain(`${lotB.epcs.size} locked`);
    await screenshot(page, 'demo-wrong-password');
    const afterWrong = await api<ExcursionView>(exPath);
    expect(afterWrong.dispositions, 'no disposition from a wrong password').toEqual([]);
    expect(
      afterWrong.audit.map((a) => a.seq),
      'no audit entry of the excursion',
    ).toEqual(ex.audit.map((a) => a.seq));
    expect(await locksByLot()).toEqual(allLocked);

    // A viewer, in a browser context of their own: no signing form, and the API refuses their attempt
    // even with their own correct password and a valid CSRF token (the route needs qa or admin).
    const viewerCtx = await b.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const vpage = await viewerCtx.newPage();
      vpage.setDefaultTimeout(20_000);
      const verrors = watchErrors(vpage);
      await logIn(vpage, base, 'viewer-demo', viewer!.password);
      await vpage.goto(`${base}/excursions/${encodeURIComponent(excursionId)}`);
      await vpage.waitForSelector('#excursion-chart polyline.series');
      for (const l of lots) await vpage.locator(`article.lot[data-lot="${l.id}"] .sign-denied`).waitFor();
      expect(await vpage.textContent('#whoami')).toBe('Vera Viewer (viewer)');
      expect(await vpage.locator('form.disposition').count(), 'no signing form for a viewer').toBe(0);
      expect(await vpage.locator('.sign-denied').count()).toBe(lots.length);
      expect(await vpage.locator('.sign-denied').first().textContent()).toBe(
        'Signing a disposition needs the QA role; you can view only.',
      );
      const attempt = await vpage.evaluate(
        async ({ id, lotId, password }) => {
          const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
          const res = await fetch(`/api/v1/excursions/${encodeURIComponent(id)}/dispositions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
            body: JSON.stringify({
              lotId,
              decision: 'release',
              reason: 'viewer tries to sign',
              username: 'viewer-demo',
              password,
            }),
          });
          return { status: res.status, body: (await res.json()) as { error?: string } };
        },
        { id: excursionId, lotId: lotA.id, password: viewer!.password },
      );
      expect(attempt.status, JSON.stringify(attempt.body)).toBe(403);
      expect(attempt.body.error).toBe('forbidden');
      await screenshot(vpage, 'demo-excursion-viewer');
      expect(verrors.filter((e) => BAD_CONSOLE.test(e))).toEqual([]);
    } finally {
      await viewerCtx.close();
    }
    expect(await locksByLot(), 'the viewer changed nothing').toEqual(allLocked);
    expect((await api<ExcursionView>(exPath)).dispositions).toEqual([]);

    // QA releases LOT-A with the password (21 CFR 11.200(a)(1)); the page reloads with the new state.
    await card(lotA).locator('.f-decision').selectOption('release');
    expect(await card(lotA).locator('.meaning').textContent()).toMatch(/^Release: I have reviewed/);
    await card(lotA).locator('.f-reason').fill('Demo: reviewed the reefer data, within stability budget');
    await card(lotA).locator('.f-password').fill(qa!.password);
    await Promise.all([page.waitForEvent('load'), card(lotA).locator('.f-sign').click()]);
    await card(lotA)
      .locator('.lock-state', { hasText: `${lotA.epcs.size} released` })
      .waitFor();
    expect(await card(lotA).locator('.lock-state').textContent()).toContain('0 locked');
    expect(await card(lotA).locator('[data-k="decision"]').textContent()).toMatch(
      /^release by Quinn QA at .* — Demo: reviewed the reefer data, within stability budget$/,
    );
    expect(await card(lotA).locator('form.disposition').count()).toBe(0);
    // LOT-B is still locked and awaiting its decision: the review is not complete yet.
    expect(await card(lotB).locator('.lock-state').textContent()).toContain(`${lotB.epcs.size} locked`);
    expect(await card(lotB).locator('form.disposition').count()).toBe(1);
    expect(await page.textContent('h1')).not.toContain('review: decided');
    await page.locator('#audit-history .audit-action', { hasText: 'disposition.release' }).waitFor();
    expect(await auditActions()).not.toContain('excursion.decided');
    await screenshot(page, 'demo-released');
    expect(await locksByLot()).toEqual({
      [lotA.id]: { released: lotA.epcs.size },
      [lotB.id]: { active: lotB.epcs.size },
    });

    // QA rejects LOT-B, over its stability budget; with no unit left locked the excursion is decided.
    await card(lotB).locator('.f-decision').selectOption('reject');
    expect(await card(lotB).locator('.meaning').textContent()).toMatch(/^Reject: I have reviewed/);
    await card(lotB).locator('.f-reason').fill('Demo: over the vaccine’s 2 h stability budget');
    await card(lotB).locator('.f-password').fill(qa!.password);
    await Promise.all([page.waitForEvent('load'), card(lotB).locator('.f-sign').click()]);
    await card(lotB)
      .locator('.lock-state', { hasText: `${lotB.epcs.size} rejected` })
      .waitFor();
    expect(await card(lotB).locator('.lock-state').textContent()).toContain('0 locked');
    expect(await card(lotB).locator('.lock-state').textContent()).not.toContain('released');
    expect(await card(lotB).locator('[data-k="decision"]').textContent()).toMatch(
      /^reject by Quinn QA at .* — Demo: over the vaccine’s 2 h stability budget$/,
    );
    expect(await card(lotA).locator('.lock-state').textContent()).toContain(`${lotA.epcs.size} released`);
    expect(await page.locator('form.disposition').count()).toBe(0);
    expect(await page.textContent('h1')).toContain('review: decided');
    await page.locator('#audit-history .audit-action', { hasText: 'excursion.decided' }).waitFor();
    const shown = await auditActions();
    expect(shown.slice(seqsBefore), 'the new audit rows on the page').toEqual([
      'disposition.release',
      'disposition.reject',
      'excursion.decided',
    ]);
    await screenshot(page, 'demo-decided');

    // The API agrees: per lot, the locks are released / rejected, and the audit trail has the signatures.
    const after = await api<ExcursionView>(exPath);
    expect(after.reviewState).toBe('decided');
    const counts = (id: string) => {
      const l = after.affectedLots.find((x) => x.lotId === id)!;
      return { locked: l.lockedUnits, released: l.releasedUnits, rejected: l.rejectedUnits };
    };
    expect(counts(lotA.id)).toEqual({ locked: 0, released: lotA.epcs.size, rejected: 0 });
    expect(counts(lotB.id)).toEqual({ locked: 0, released: 0, rejected: lotB.epcs.size });
    expect(
      after.dispositions.map((d) => ({
        lotId: d.lotId,
        decision: d.decision,
        units: d.units,
        by: d.signature.username,
      })),
    ).toEqual([
      { lotId: lotA.id, decision: 'release', units: lotA.epcs.size, by: 'qa-demo' },
      { lotId: lotB.id, decision: 'reject', units: lotB.epcs.size, by: 'qa-demo' },
    ]);
    const maxBefore = Math.max(0, ...ex.audit.map((a) => a.seq));
    expect(
      after.audit.filter((a) => a.seq > maxBefore).map((a) => [a.action, a.actor]),
      'new audit entries',
    ).toEqual([
      ['disposition.release', 'qa-demo'],
      ['disposition.reject', 'qa-demo'],
      ['excursion.decided', 'qa-demo'],
    ]);
    expect(await locksByLot()).toEqual({
      [lotA.id]: { released: lotA.epcs.size },
      [lotB.id]: { rejected: lotB.epcs.size },
    });

    // Back on the dashboard no lot of the demo is locked any more.
    await page.goto(`${base}/`);
    await page.locator('#open-excursions').waitFor();
    for (const l of lots) expect(await page.locator(`#locked-lots tr[data-lot="${l.id}"]`).count()).toBe(0);
    // …but LOT-B's rejected units are still in the store: the dashboard counts them until their destruction
    // or return is recorded.
    expect(await page.textContent('#tile-rejected-awaiting .tile-value')).toBe(String(lotB.epcs.size));
    await screenshot(page, 'demo-dashboard-decided');
    expect(errors.filter((e) => BAD_CONSOLE.test(e))).toEqual([]);
    await page.close();
  } finally {
    await b.close();
  }
}
