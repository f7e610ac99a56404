import { describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { browserMissing, screenshot, watchErrors } from './browser.js';
import { type ApiReading, BIG_LOT, EPCS, GTIN, useQaJourney } from './qa-journey-fixture.js';

// Signed dispositions, the lot pages and the audit page, on the journey of qa-pages.e2e.test.ts (which
// tests the login, the dashboard, the excursion pages, gateways, a viewer and logging out).

const missing = browserMissing();
if (missing) console.warn(missing);

describe.skipIf(missing !== null)('QA pages in a real browser', () => {
  const j = useQaJourney({ loggedIn: true });

  it('QA releases one lot and rejects another with e-signatures; locks and audit follow', async () => {
    const page = await j.b.context.newPage();
    const errors = watchErrors(page);
    page.setDefaultTimeout(8000);
    const url = `${j.cloud.httpUrl}/excursions/${encodeURIComponent(j.excursionId)}`;
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
      await fetch(`${j.cloud.httpUrl}/api/v1/excursions/${encodeURIComponent(j.excursionId)}`, {
        headers: await bearer(j.cloud, ['viewer']),
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
    await lotA.locator('.f-password').fill(j.qa.password);
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
    await lotB.locator('.f-password').fill(j.qa.password);
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
      await fetch(`${j.cloud.httpUrl}/api/v1/locks?excursionId=${encodeURIComponent(j.excursionId)}`, {
        headers: await bearer(j.cloud, ['viewer']),
      })
    ).json()) as Array<{ epc: string; state: string }>;
    const stateOf = (epc: string) => locks.find((l) => l.epc === epc)?.state;
    expect(EPCS['LOT-A'].map(stateOf)).toEqual(['released', 'released', 'released']);
    expect(EPCS['LOT-B'].map(stateOf)).toEqual(['rejected', 'rejected', 'rejected']);

    // The lot page shows the decision and no locked unit, built from the lot endpoints (temperature,
    // trace), not from per-unit and per-location requests assembled in the browser.
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${j.cloud.httpUrl}/lots/LOT-A`);
    await page.waitForSelector('#units');
    expect(await page.textContent('#lot-lock-state')).toContain('0 / 3 units locked');
    expect(await page.textContent('#lot-decisions')).toContain('Quinn QA (quinn)');
    expect(await page.textContent('#custody')).toContain('Reefer 7');
    // The lot by its number, both lot MKTs labelled as the API gives them, units by GTIN and serial and no
    // hex EPC until asked for.
    const lotApi = (await (
      await fetch(`${j.cloud.httpUrl}/api/v1/lots/LOT-A`, { headers: await bearer(j.cloud, ['viewer']) })
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
    const viewerAuth = await bearer(j.cloud, ['viewer']);
    const temperature = (await (
      await fetch(`${j.cloud.httpUrl}/api/v1/lots/LOT-A/temperature?limit=20000`, { headers: viewerAuth })
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
    await page.goto(`${j.cloud.httpUrl}/lots/LOT-B`);
    await page.waitForSelector('#rejected-stock');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toMatch(
      /^Rejected — 3 units at Reefer 7 \(3\), awaiting destruction or return/,
    );
    await page.locator('.f-outcome').selectOption('destroyed');
    expect(await page.locator('form.closure .meaning').textContent()).toMatch(/^Destruction recorded/);
    await page.locator('.f-reference').fill('DC-2026-044');
    await page.locator('.f-closure-reason').fill('Incinerated by the licensed contractor');
    await page.locator('.f-closure-password').fill(j.qa.password);
    await Promise.all([page.waitForEvent('load'), page.locator('.f-close').click()]);
    await page.waitForSelector('#stock-closures');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toBe(
      'No rejected unit awaits destruction or return.',
    );
    expect(await page.textContent('#stock-closures')).toContain('DC-2026-044');
    await screenshot(page, 'lot-rejected-closed');

    // The audit page lists the signatures and the chain verifies.
    await page.goto(`${j.cloud.httpUrl}/audit`);
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
    const page = await j.b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${j.cloud.httpUrl}/lots/LOT-C`);
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
      await fetch(`${j.cloud.httpUrl}/api/v1/audit?limit=10000`, {
        headers: await bearer(j.cloud, ['viewer']),
      })
    ).json()) as Array<{ seq: number }>;
    const newestFirst = all.map((e) => e.seq).reverse();
    expect(newestFirst.length).toBeGreaterThan(20);
    // About six pages, the last one partial.
    const size = Math.ceil(newestFirst.length / 6) + 1;
    const page = await j.b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${j.cloud.httpUrl}/audit?limit=${size}`);
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
});
