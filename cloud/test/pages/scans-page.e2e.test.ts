import { gatewayTopic, type Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, type TestUser } from '../helpers/auth.js';
import { readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import {
  type BrowserSession,
  browserMissing,
  launchBrowser,
  logIn,
  screenshot,
  watchErrors,
} from './browser.js';

const missing = browserMissing();
if (missing) console.warn(missing);
const MIN = 60_000;
const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;
/** T0's UTC day (every scan is on it) and the next. */
const DAY = new Date(T0).toISOString().slice(0, 10);
const NEXT_DAY = new Date(T0 + 86_400_000).toISOString().slice(0, 10);

const scan = (seq: number, min: number, over: Partial<Scan> = {}): Scan => ({
  seq,
  kind: 'scan',
  stationId: 'fridge-in',
  locationId: 'loc-fridge',
  direction: 'putaway',
  ts: at(min),
  code: `]d201${GTIN}10T1`,
  format: 'gs1-element-string',
  gtin: GTIN,
  sscc: null,
  hibc: null,
  lot: 'T1',
  serial: null,
  expiry: null,
  ...over,
});

/** GS1 element string of a serialised unit as a scanner reads it (FNC1 as GS between variable fields). */
const unitCode = (lot: string, serial: string, expiry?: string) =>
  `]d201${GTIN}${expiry ? `17${expiry.slice(2).replaceAll('-', '')}` : ''}10${lot}\u001d21${serial}`;

/**
 * The QA scans page and the lot page's units without serial (docs/qa-pages.md "Scans"), on a real cloud
 * listening on HTTP, the scans delivered over MQTT as a gateway's scan station sends them and mapped by
 * ingest (docs/barcode.md "Scans in the cloud"): four scans raise the four flags, three vials without serial
 * are counted in their lot and exposed to a fridge excursion.
 */
describe.skipIf(missing !== null)('scans page in a real browser', () => {
  let cloud: TestCloud;
  let qa: TestUser;
  let b: BrowserSession;
  let page: Page;
  let errors: string[];
  let excursionId: string;

  beforeAll(async () => {
    cloud = await startTestCloud({
      ingest: {
        maxFutureSkewMs: Number.MAX_SAFE_INTEGER,
        maxEventAgeMs: Number.MAX_SAFE_INTEGER,
        scans: { companyPrefixes: ['0614141'] },
      },
    });
    qa = await createUser(cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    const op = await bearer(cloud, ['operator']);
    const put = async (path: string, body: unknown) => {
      const res = await fetch(`${cloud.httpUrl}/api/v1${path}`, {
        method: 'PUT',
        headers: { ...op, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, `PUT ${path}: ${await res.clone().text()}`).toBe(200);
    };
    const room = {
      kind: 'room',
      minC: 2,
      maxC: 8,
      alarmDelayMs: 10 * MIN,
      criticalMarginC: 10,
      maxGapMs: 30 * MIN,
    };
    await put('/locations/loc-dock', { name: 'Receiving dock', ...room });
    await put('/locations/loc-fridge', { name: 'Vaccine fridge', ...room });
    await put(`/products/${GTIN}`, { name: 'Vaccine', minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 });
    await put('/lots/LOT-T', { gtin: GTIN, lotNumber: 'T1', expiry: '2027-06-30' });
    await put('/lots/LOT-U', { gtin: GTIN, lotNumber: 'U1', expiry: '2026-10-31' });

    const records = [
      // Unit 501 received at the dock: its label's expiry is not its lot's.
      scan(1, 0, {
        stationId: 'dock-1',
        locationId: 'loc-dock',
        direction: 'receiving',
        code: unitCode('T1', '501', '2027-05-31'),
        serial: '501',
        expiry: '2027-05-31',
      }),
      scan(2, 1, { code: unitCode('T1', '501'), serial: '501' }),
      // Unit 601 names a lot master data does not have.
      scan(3, 2, {
        stationId: 'dock-1',
        locationId: 'loc-dock',
        direction: 'receiving',
        code: unitCode('X9', '601'),
        lot: 'X9',
        serial: '601',
      }),
      // Unit 701 of lot U1, which expired before it was received.
      scan(4, 3, {
        stationId: 'dock-1',
        locationId: 'loc-dock',
        direction: 'receiving',
        code: unitCode('U1', '701'),
        lot: 'U1',
        serial: '701',
      }),
      // Unit 501 again, its label naming lot U1: it stays in lot T1.
      scan(5, 4, { code: unitCode('U1', '501'), lot: 'U1', serial: '501' }),
      // Three vials of lot T1 without serial into the fridge, one picked out again before it warms.
      scan(6, 6),
      scan(7, 6),
      scan(8, 7),
      scan(9, 8, { direction: 'picking', stationId: 'fridge-out' }),
      // An HIBC code no GTIN is linked to: a dead letter of its own, not a stored scan.
      scan(10, 9, {
        stationId: 'dock-1',
        locationId: 'loc-dock',
        direction: 'receiving',
        format: 'hibc',
        code: '+A123PROD1/$$A2X',
        gtin: null,
        hibc: 'A123PROD1',
        lot: 'A2',
      }),
    ];
    const secret = await cloud.addGateway('gw-1');
    const gw = await cloud.connect('gw-1', secret);
    await gw.publishAsync(
      gatewayTopic('gw-1', 'movements'),
      JSON.stringify({ gatewayId: 'gw-1', firstSeq: 1, lastSeq: records.length, sentAt: T0, records }),
      { qos: 1 },
    );
    // The fridge is at 12 °C from minute 20 to 45: an excursion with two vials (and unit 501) inside.
    const readings = Array.from({ length: 61 }, (_, m) => ({
      seq: m + 1,
      sensorId: 's-fridge',
      locationId: 'loc-fridge',
      ts: at(m) + 1000,
      tempC: m >= 20 && m < 45 ? 12 : 5,
      quality: 'ok' as const,
    }));
    await gw.publishAsync(gatewayTopic('gw-1', 'readings'), JSON.stringify(readingsBatch('gw-1', readings)), {
      qos: 1,
    });
    await gw.endAsync();
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${cloud.httpUrl}/api/v1${path}`, { headers: op });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const quantities = () =>
      api<{ locations: Array<{ exposures: Array<{ excursionId: string }> }> }>('/lots/LOT-T/quantities');
    await until(async () => {
      await cloud.evaluator.flush();
      return (await quantities()).locations[0]?.exposures.length === 1;
    }, 'the vials exposed to the fridge excursion');
    excursionId = (await quantities()).locations[0]!.exposures[0]!.excursionId;
    expect(await api<unknown[]>('/scans?flagged=true')).toHaveLength(4);
    await until(
      async () => (await api<unknown[]>('/dead-letters?code=scan_hibc_unlinked')).length === 1,
      'the HIBC scan dead-lettered',
    );

    b = await launchBrowser();
    page = await b.context.newPage();
    errors = watchErrors(page);
    await logIn(page, cloud.httpUrl, 'quinn', qa.password);
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  const rows = () => page.locator('#scans tbody tr[data-key]');
  const row = (seq: number) => page.locator(`#scans tbody tr[data-key="gw-1/${seq}"]`);
  const shownSeqs = async () =>
    (await rows().evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')))).map((k) =>
      Number(k!.split('/')[1]),
    );

  it('lists the flagged scans newest first, each in words: where, which unit, its lot, what the flag means, the code', async () => {
    await page.click('header nav a[href="/scans"]');
    await page.locator('#result-count', { hasText: '4 flagged scans' }).waitFor();
    expect(await shownSeqs()).toEqual([5, 4, 3, 1]);

    const expiry = row(1);
    expect(await expiry.getAttribute('data-flags')).toBe('scan_expiry_mismatch');
    const where = await expiry.locator('td.where').textContent();
    // The location by its name (its id only on hover), the station and what happened there.
    expect(where).toContain('received at Receiving dock');
    expect(where).toContain('station dock-1');
    expect(where).not.toContain('loc-dock');
    expect(await expiry.locator('td.where a').getAttribute('title')).toContain('loc-dock');
    expect(await expiry.locator('td.unit').textContent()).toContain(`GTIN ${GTIN} · serial 501`);
    expect(await expiry.locator('td.lot a').textContent()).toBe('Lot T1');
    expect(await expiry.locator('td.lot a').getAttribute('href')).toBe('/lots/LOT-T');
    const flag = await expiry.locator('td.flags').textContent();
    expect(flag).toContain('Expiry on the label differs');
    expect(flag).toContain('not the expiry of the unit’s lot in master data');
    expect(flag).toContain('code says expiry 2027-05-31, lot LOT-T expires 2027-06-30');
    expect(await expiry.locator('td.code').textContent()).toBe(`]d201${GTIN}1727053110T1⟨GS⟩21501`);

    const mismatch = await row(5).textContent();
    expect(mismatch).toContain('Lot on the label differs');
    expect(mismatch).toContain('put away at Vaccine fridge');
    expect(mismatch).toContain('label says lot U1'); // the unit stays in lot T1, linked
    expect(await row(5).locator('td.lot a').textContent()).toBe('Lot T1');
    expect(await row(4).textContent()).toContain('Expired unit scanned in');
    expect(await row(4).locator('td.lot a').getAttribute('href')).toBe('/lots/LOT-U');
    // A lot master data lacks: no lot link, what the label says.
    expect(await row(3).textContent()).toContain('Lot not in master data');
    expect(await row(3).locator('td.lot').textContent()).toBe('label says lot X9');
    expect(await row(3).locator('td.lot a').count()).toBe(0);
    await screenshot(page, 'scans-page');
  });

  it('a scan that could not be mapped (an HIBC code linked to no GTIN) is listed apart, with why in words', async () => {
    await page.goto(`${cloud.httpUrl}/scans`);
    const letter = page.locator('#unmapped tbody tr[data-code="scan_hibc_unlinked"]');
    await letter.waitFor();
    expect(await page.locator('#unmapped tbody tr[data-dead-letter]').count()).toBe(1);
    const text = await letter.textContent();
    expect(text).toContain('received at Receiving dock, station dock-1');
    expect(text).toContain('HIBC code not linked');
    expect(text).toContain('The HIBC device identifier is linked to no GTIN');
    expect(text).toContain('HIBC device A123PROD1 is linked to no GTIN');
    expect(text).toContain('not replayed');
    expect(await letter.locator('td.code').textContent()).toBe('+A123PROD1/$$A2X');
  });

  it('the filters (flag, lot, location, time) narrow the list on the server and stay in the address', async () => {
    await page.goto(`${cloud.httpUrl}/scans`);
    await page.locator('#result-count', { hasText: '4 flagged scans' }).waitFor();
    expect(await shownSeqs()).toEqual([5, 4, 3, 1]); // the precondition of every narrowing below

    await page.selectOption('#f-flag', 'scan_lot_mismatch');
    await page.locator('#result-count', { hasText: /^1 flagged scans$/ }).waitFor();
    expect(await shownSeqs()).toEqual([5]);
    expect(new URL(page.url()).search).toBe('?flag=scan_lot_mismatch');

    await page.selectOption('#f-flag', '');
    await page.selectOption('#f-location', 'loc-dock');
    await page.locator('#result-count', { hasText: /^3 flagged scans$/ }).waitFor();
    expect(await shownSeqs()).toEqual([4, 3, 1]);

    await page.fill('#f-lot', 'LOT-U');
    await page.press('#f-lot', 'Enter');
    await page.locator('#result-count', { hasText: /^1 flagged scans$/ }).waitFor();
    expect(await shownSeqs()).toEqual([4]);
    expect(new URL(page.url()).search).toBe('?lot=LOT-U&location=loc-dock');

    await page.fill('#f-lot', '');
    await page.press('#f-lot', 'Enter');
    await page.selectOption('#f-location', '');
    await page.locator('#result-count', { hasText: /^4 flagged scans$/ }).waitFor();
    await page.fill('#f-from', DAY);
    await page.fill('#f-to', DAY);
    await page.locator('#result-count', { hasText: /^4 flagged scans$/ }).waitFor();
    expect(new URL(page.url()).search).toBe(`?from=${DAY}&to=${DAY}`);
    await page.fill('#f-to', '');
    await page.fill('#f-from', NEXT_DAY);
    await page.locator('#result-count', { hasText: /^0 flagged scans$/ }).waitFor();
    expect(await rows().count()).toBe(0);
    expect(await page.textContent('#scans tbody')).toBe('None');

    // Every scan, flagged or not: the unflagged ones say so.
    await page.fill('#f-from', '');
    await page.selectOption('#f-flag', 'all');
    await page.locator('#result-count', { hasText: /^9 scans$/ }).waitFor();
    expect(await row(2).locator('td.flags').textContent()).toBe('no flag');
    expect(await row(10).count()).toBe(0); // the HIBC scan is a dead letter, not a stored scan
    expect(await row(6).locator('td.unit').textContent()).toContain('no serial (counted in its lot)');

    // Opened with its filters in the address, the page applies them.
    await page.goto(`${cloud.httpUrl}/scans?flag=scan_expired_received`);
    await page.locator('#result-count', { hasText: /^1 flagged scans$/ }).waitFor();
    expect(await shownSeqs()).toEqual([4]);
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
  });

  it('the lot page shows its units without serial per location, with the excursion they were exposed to', async () => {
    await page.goto(`${cloud.httpUrl}/lots/LOT-T`);
    const fridge = page.locator('#quantities tr[data-location="loc-fridge"]');
    await fridge.waitFor();
    expect(await page.locator('#quantities tbody tr').count()).toBe(1);
    expect(await fridge.locator('td').first().textContent()).toBe('Vaccine fridge');
    expect(await fridge.locator('[data-k="in"]').textContent()).toBe('3');
    expect(await fridge.locator('[data-k="out"]').textContent()).toBe('1');
    expect(await fridge.locator('[data-k="on-hand"]').textContent()).toBe('2');
    const exposure = fridge.locator('[data-k="exposures"]');
    expect(await exposure.locator('a').getAttribute('data-id')).toBe(excursionId);
    expect(await exposure.locator('a').getAttribute('href')).toBe(
      `/excursions/${encodeURIComponent(excursionId)}`,
    );
    expect(await exposure.textContent()).toMatch(
      /^Vaccine fridge · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z: 2 units on hand — held, pending QA decision$/,
    );
    await screenshot(page, 'scans-lot-quantities');

    // A lot with no unit scanned without serial says so (its page has the section, without a table).
    await page.goto(`${cloud.httpUrl}/lots/LOT-U`);
    await page.locator('#lot-quantities').waitFor();
    expect(await page.textContent('#lot-quantities')).toContain(
      'No unit of this lot was scanned without a serial',
    );
    expect(await page.locator('#quantities').count()).toBe(0);

    // From the lot page to its flagged scans.
    await page.goto(`${cloud.httpUrl}/lots/LOT-T`);
    await Promise.all([page.waitForURL(/\/scans\?lot=LOT-T$/), page.click('#lot-flagged-scans')]);
    await page.locator('#result-count', { hasText: /^2 flagged scans$/ }).waitFor();
    expect(await shownSeqs()).toEqual([5, 1]);
    expect(errors.filter((e) => /Refused|Uncaught|TypeError|ReferenceError/.test(e))).toEqual([]);
  });
});
