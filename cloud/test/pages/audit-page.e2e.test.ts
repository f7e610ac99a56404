import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { browserMissing, screenshot, watchErrors } from './browser.js';
import { useResponsivePages, WAIT_MS, type Win } from './responsive-fixture.js';

// The audit page a reviewer reads, on the cloud of responsive-fixture.ts (the pages at phone and desktop
// widths: responsive-pages.e2e.test.ts).

const missing = browserMissing();
if (missing) console.warn(missing);

describe.skipIf(missing !== null)('QA pages on phones and desktops; the audit page', () => {
  const j = useResponsivePages();
  const { contextAt, open } = j;

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
      const csv = await ctx.request.get(`${j.cloud.httpUrl}${csvHref}`, { timeout: WAIT_MS });
      expect(csv.status()).toBe(200);
      const csvText = await csv.text();
      expect(csvText).toContain('"Filters","actor = quinn"');
      expect(csvText.split('\r\n').filter((l) => l.startsWith('"entry"'))).toHaveLength(users.length);
      const pdf = await ctx.request.get(
        `${j.cloud.httpUrl}${(await page.getAttribute('#export-pdf', 'href'))!}`,
        {
          timeout: WAIT_MS,
        },
      );
      expect(pdf.status()).toBe(200);
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

      // Paging keeps the filter: 3 at a time through the system's entries, the same as the API's.
      const api = await ctx.request.get(
        `${j.cloud.httpUrl}/api/v1/audit?actor=system&order=desc&limit=10000`,
        {
          timeout: WAIT_MS,
        },
      );
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
