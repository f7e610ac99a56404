import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, browserMissing, launchBrowser } from './browser.js';

/**
 * The login page's `next=` in a real browser: after logging in it goes only to a path of its own origin.
 * `%2F%09%2Fevil.com` decodes to `/<tab>/evil.com`, which starts with one slash but which the browser's
 * URL parser reads as `//evil.com` (WHATWG URL drops tabs): a prefix check sent the user off-site.
 */
const missing = browserMissing();
if (missing) console.warn(missing);

describe.skipIf(missing !== null)('login redirect (next=)', () => {
  let cloud: TestCloud;
  let user: TestUser;
  let b: BrowserSession;

  beforeAll(async () => {
    cloud = await startTestCloud();
    user = await createUser(cloud.store, { roles: ['viewer'], username: 'vera' });
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  /** Logs in on /login?next=<rawNext> and returns where the page went. */
  async function loginWith(rawNext: string): Promise<URL> {
    await b.context.clearCookies();
    const page = await b.context.newPage();
    try {
      await page.goto(`${cloud.httpUrl}/login?next=${rawNext}`);
      await page.fill('#username', user.username);
      await page.fill('#password', user.password);
      await page.click('#login-submit');
      // Polled from here, not awaited as a navigation event: the login page navigates by itself once the
      // login answered, and a missed event must not hang the suite.
      const home = new URL(cloud.httpUrl).origin;
      await until(() => {
        const u = new URL(page.url());
        return u.origin !== home || !u.pathname.startsWith('/login');
      }, 'the login page leaving /login');
      return new URL(page.url());
    } finally {
      await page.close();
    }
  }

  it('%2F%09%2Fevil.com stays on this origin', async () => {
    // Precondition: this browser does resolve the decoded target off-site.
    const page = await b.context.newPage();
    await page.goto(`${cloud.httpUrl}/login`);
    expect(
      await page.evaluate(
        () =>
          new URL('/\t/evil.com', (globalThis as unknown as { location: { origin: string } }).location.origin)
            .host,
      ),
    ).toBe('evil.com');
    await page.close();

    const landed = await loginWith('%2F%09%2Fevil.com');
    expect(landed.origin).toBe(new URL(cloud.httpUrl).origin);
    expect(landed.pathname).toBe('/');
  });

  it.each(['%2F%2Fevil.com', '%2F%5Cevil.com', 'https%3A%2F%2Fevil.com%2F', '%2F%0A%2Fevil.com'])(
    '%s stays on this origin',
    async (rawNext) => {
      const landed = await loginWith(rawNext);
      expect(landed.origin).toBe(new URL(cloud.httpUrl).origin);
      expect(landed.pathname).toBe('/');
    },
  );

  it('a path of this origin is followed, with its query', async () => {
    const landed = await loginWith(encodeURIComponent('/excursions?state=open'));
    expect(landed.origin).toBe(new URL(cloud.httpUrl).origin);
    expect(`${landed.pathname}${landed.search}`).toBe('/excursions?state=open');
  });
});
