import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { browserMissing, screenshot, watchErrors } from './browser.js';
import { useResponsivePages, WAIT_MS, WIDTHS, type Win } from './responsive-fixture.js';

const missing = browserMissing();
if (missing) console.warn(missing);

/**
 * The QA pages on a phone (390 px) and a desktop (1,440 px), docs/qa-pages.md "Phones and tablets": no
 * page wider than the window, the folding menu reachable by pointer and keyboard, chart labels at least
 * 10 px on screen; and the audit page a reviewer reads: plain-language entries, filters, exports.
 */
describe.skipIf(missing !== null)('QA pages on phones and desktops; the audit page', () => {
  const j = useResponsivePages();
  const { contextAt, open, pages } = j;

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
        const anon = await j.b.browser.newContext({ viewport: { width: w.width, height: w.height } });
        try {
          const login = await anon.newPage();
          await login.goto(`${j.cloud.httpUrl}/login`, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
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
      const me = await ctx.request.get(`${j.cloud.httpUrl}/api/v1/auth/me`, { timeout: WAIT_MS });
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
        for (const path of [`/excursions/${encodeURIComponent(j.excursionId)}`, '/lots/LOT-A']) {
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
});
