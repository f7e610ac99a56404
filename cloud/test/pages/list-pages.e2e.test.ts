import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../helpers/auth.js';
import { listRows } from '../helpers/list-rows.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, browserMissing, launchBrowser, logIn, watchErrors } from './browser.js';

const missing = browserMissing();
if (missing) console.warn(missing);
const GTIN_A = '80614141123458';
const GTIN_B = '80614141123465';
/** More than one page of each list page (100 rows). */
const LOTS = 130;
const EXCURSIONS = 120;

/**
 * The dashboard, excursion and lot list pages read pages from the server (docs/architecture.md "Lists and
 * paging"): the first page, "Load more" for the next, filters sent to the API, counts from /summary.
 */
describe.skipIf(missing !== null)('list pages in a real browser', () => {
  let cloud: TestCloud;
  let qa: TestUser;
  let b: BrowserSession;

  beforeAll(async () => {
    cloud = await startTestCloud();
    qa = await createUser(cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    const rows = listRows(cloud.store.db);
    for (let i = 0; i < LOTS; i++)
      await rows.lot(`LOT-${String(i).padStart(3, '0')}`, i % 2 ? GTIN_B : GTIN_A, 2);
    for (let i = 0; i < EXCURSIONS; i++)
      await rows.excursion(
        `x-${String(i).padStart(3, '0')}`,
        i % 3 ? 'room' : 'truck',
        1_000 * i,
        1_000 * i + 500,
        {
          critical: i === 7 ? 1 : 0,
          review_state: i < 10 ? 'pending' : 'decided',
        },
      );
    // Two lots with locked units: LOT-003 (both units), LOT-010 (one).
    await rows.lock('LOT-003-E1', 'x-003', 'active');
    await rows.lock('LOT-003-E2', 'x-003', 'active');
    await rows.lock('LOT-010-E1', 'x-004', 'active');
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  it('dashboard: tiles from /summary, the open excursions newest first, the locked lots', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await logIn(page, cloud.httpUrl, 'quinn', qa.password);
    await page.waitForSelector('#open-excursions');
    expect(await page.textContent('#tile-open-excursions .tile-value')).toBe('10');
    expect(await page.textContent('#tile-locked-lots .tile-value')).toBe('2');
    expect(await page.textContent('#locked-lots tr[data-lot="LOT-003"]')).toContain('2 / 2');
    expect(await page.textContent('#locked-lots tr[data-lot="LOT-010"]')).toContain('1 / 2');
    // A lot goes by its lot number (list-rows.ts: `N<id>`), its id in the link and on hover.
    expect(await page.textContent('#locked-lots tr[data-lot="LOT-003"] a')).toBe('NLOT-003');
    expect(await page.getAttribute('#locked-lots tr[data-lot="LOT-003"] a', 'href')).toBe('/lots/LOT-003');
    const open = await page
      .locator('#open-excursions tbody tr td:first-child a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-id')));
    expect(open).toEqual(Array.from({ length: 10 }, (_, i) => `x-${String(9 - i).padStart(3, '0')}`));
    // Nothing read whole: no unpaged /lots or /excursions request.
    expect(
      asked.filter((u) => /^\/api\/v1\/(lots|excursions)(\?|$)/.test(u) && !/[?&]limit=/.test(u)),
    ).toEqual([]);
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('excursions: the first page, "Load more", filters sent to the server', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${cloud.httpUrl}/excursions`);
    await page.locator('#result-count', { hasText: `100+ of ${EXCURSIONS} excursions` }).waitFor();
    expect(await page.locator('#excursions tbody tr').count()).toBe(100);
    // Newest first: the first row is the last excursion, named by where and since when (its id on hover).
    const first = page.locator('#excursions tbody tr:first-child td:first-child a');
    expect(await first.getAttribute('data-id')).toBe('x-119');
    expect(await first.textContent()).toMatch(/ · \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(await first.textContent()).not.toContain('x-119');
    await page.click('#load-more');
    await page.locator('#result-count', { hasText: `${EXCURSIONS} of ${EXCURSIONS} excursions` }).waitFor();
    expect(await page.locator('#excursions tbody tr').count()).toBe(EXCURSIONS);
    expect(await page.isHidden('#load-more')).toBe(true);
    await page.check('#f-critical');
    await page.locator('#result-count', { hasText: /^1 of/ }).waitFor();
    expect(await page.locator('#excursions tbody a[data-id="x-007"]').count()).toBe(1);
    await page.uncheck('#f-critical');
    await page.selectOption('#f-state', 'open');
    await page.locator('#result-count', { hasText: /^10 of/ }).waitFor();
    expect(new URL(page.url()).search).toBe('?state=open');
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });

  it('lots: paged, by product and with locked units only', async () => {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${cloud.httpUrl}/lots`);
    await page.locator('#result-count', { hasText: '100+ lots' }).waitFor();
    expect(await page.locator('#lots tbody tr').count()).toBe(100);
    await page.click('#load-more');
    await page.locator('#result-count', { hasText: `${LOTS} lots` }).waitFor();
    expect(await page.locator('#lots tbody tr').count()).toBe(LOTS);
    await page.check('#f-locked');
    await page.locator('#result-count', { hasText: /^2 lots$/ }).waitFor();
    expect(
      await page.locator('#lots tbody tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-lot'))),
    ).toEqual(['LOT-003', 'LOT-010']);
    expect(await page.textContent('#lots tr[data-lot="LOT-003"] td.locked')).toBe('2');
    expect(await page.textContent('#lots tr[data-lot="LOT-003"] a')).toBe('NLOT-003');
    expect(await page.getAttribute('#lots tr[data-lot="LOT-003"] a', 'title')).toBe('lot id: LOT-003');
    await page.fill('#f-gtin', GTIN_B);
    await page.press('#f-gtin', 'Enter');
    await page.locator('#lots tr[data-lot="LOT-003"]').waitFor(); // LOT-003 is odd: GTIN_B
    await page.locator('#result-count', { hasText: /^1 lots$/ }).waitFor();
    expect(new URL(page.url()).search).toBe(`?gtin=${GTIN_B}&hasLocks=true`);
    // Opened with the filters in its address, the page applies them.
    await page.goto(`${cloud.httpUrl}/lots?gtin=${GTIN_A}&hasLocks=true`);
    await page.locator('#result-count', { hasText: /^1 lots$/ }).waitFor();
    expect(await page.textContent('#lots tbody')).toContain('LOT-010');
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
    await page.close();
  });
});
