import { encodeGatewayPayload, type Reading, type Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, type TestUser } from '../helpers/auth.js';
import { readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type BrowserSession, browserMissing, launchBrowser, logIn, watchErrors } from './browser.js';

const missing = browserMissing();
if (missing) console.warn(missing);
const MIN = 60_000;
const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;

const scan = (min: number, direction = 'putaway'): Scan => ({
  seq: 0,
  kind: 'scan',
  stationId: 'fridge-in',
  locationId: 'fridge',
  direction: direction as Scan['direction'],
  ts: at(min),
  code: `]d201${GTIN}10Q1`,
  format: 'gs1-element-string',
  gtin: GTIN,
  sscc: null,
  hibc: null,
  lot: 'Q1',
  serial: null,
  expiry: null,
});

/**
 * The excursion and lot pages with a quantity hold (docs/barcode.md "Quantity custody"): a lot whose only
 * units at the fridge had no serial gets a card on the excursion page with its held quantity and the
 * disposition form; QA rejects it there with an e-signature; the lot page shows the exposure's hold state,
 * and the rejected quantity awaiting its end until QA signs its closing record (docs/domain.md "Rejected stock
 * to its end").
 */
describe.skipIf(missing !== null)('quantity holds on the QA pages in a real browser', () => {
  let cloud: TestCloud;
  let qa: TestUser;
  let b: BrowserSession;
  let page: Page;
  let errors: string[];
  let excursionId: string;
  let seq = 0;

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    qa = await createUser(cloud.store, { roles: ['qa'], username: 'quinn', printedName: 'Quinn QA' });
    const op = await bearer(cloud, ['operator']);
    const put = async (path: string, body: unknown) => {
      const res = await cloud.app.inject({
        method: 'PUT',
        url: `/api/v1${path}`,
        payload: body as object,
        headers: op,
      });
      expect(res.statusCode, `PUT ${path}: ${res.body}`).toBe(200);
    };
    await put('/locations/fridge', {
      name: 'Vaccine fridge',
      kind: 'room',
      minC: 2,
      maxC: 8,
      alarmDelayMs: 10 * MIN,
      criticalMarginC: 10,
      maxGapMs: 30 * MIN,
    });
    await put(`/products/${GTIN}`, { name: 'Vaccine', minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 });
    await put('/lots/LOT-Q', { gtin: GTIN, lotNumber: 'Q1', expiry: '2027-06-30' });
    await cloud.addGateway('gw-a');
    const publish = async (name: 'readings' | 'movements', records: Array<Reading | Scan>) => {
      const numbered = records.map((r) => ({ ...r, seq: ++seq }));
      const out = await cloud.ingestor.handle({
        topic: `coldtrace/v1/gw/gw-a/${name}`,
        payload: Buffer.from(encodeGatewayPayload(name, readingsBatch('gw-a', numbered as never) as never)),
      });
      expect(out.kind).toBe('stored');
    };
    await publish('movements', [scan(5), scan(6), scan(7), scan(8, 'picking')]);
    await publish(
      'readings',
      Array.from({ length: 31 }, (_, k) => ({
        seq: 0,
        sensorId: 's-fridge',
        locationId: 'fridge',
        ts: at(2 * k),
        tempC: 2 * k >= 20 && 2 * k < 45 ? 12 : 5,
        quality: 'ok' as const,
      })),
    );
    const viewer = await bearer(cloud, ['viewer']);
    await until(async () => {
      await cloud.evaluator.flush();
      const res = await cloud.app.inject({ url: '/api/v1/quantity-holds?state=active', headers: viewer });
      return res.json().length === 1;
    }, 'LOT-Q held');
    const res = await cloud.app.inject({ url: '/api/v1/quantity-holds', headers: viewer });
    excursionId = res.json()[0].excursionId;

    b = await launchBrowser();
    page = await b.context.newPage();
    errors = watchErrors(page);
    await logIn(page, cloud.httpUrl, 'quinn', qa.password);
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.stop();
  });

  it('the dashboard counts the held units awaiting a decision', async () => {
    await page.goto(`${cloud.httpUrl}/`);
    await page.locator('#tile-held-units').waitFor();
    expect(await page.textContent('#tile-held-units .tile-value')).toBe('2');
    expect(await page.getAttribute('#tile-held-units', 'class')).toContain('bad');
  });

  it('the excursion page shows the held-only lot with its form; QA rejects it and the excursion is decided', async () => {
    await page.goto(`${cloud.httpUrl}/excursions/${encodeURIComponent(excursionId)}`);
    const lot = page.locator('article.lot[data-lot="LOT-Q"]');
    await lot.waitFor();
    expect(await lot.locator('[data-k="held"]').textContent()).toBe('2 held, pending QA decision');
    expect(await lot.locator('.lock-state').textContent()).toContain('2 held without serial');
    await lot.locator('.f-decision').selectOption('reject');
    await lot.locator('.f-reason').fill('Fridge above 8 °C for 25 min');
    await lot.locator('.f-password').fill(qa.password);
    await Promise.all([page.waitForEvent('load'), lot.locator('.f-sign').click()]);
    await lot.waitFor();
    expect(await lot.locator('[data-k="held"]').textContent()).toBe('2 rejected');
    expect(await lot.locator('[data-k="decision"]').textContent()).toMatch(/^reject by Quinn QA/);
    expect(await lot.locator('form.disposition').count()).toBe(0);
    expect(await page.textContent('h1')).toContain('review: decided');
    await page.goto(`${cloud.httpUrl}/`);
    await page.locator('#tile-held-units').waitFor();
    expect(await page.textContent('#tile-held-units .tile-value')).toBe('0');
    expect(errors).toEqual([]);
  });

  it('the lot page gives each exposure of its units without serial its hold state', async () => {
    await page.goto(`${cloud.httpUrl}/lots/LOT-Q`);
    const hold = page.locator('#quantities tr[data-location="fridge"] .hold');
    await hold.waitFor();
    expect(await hold.getAttribute('data-state')).toBe('rejected');
    expect(await hold.textContent()).toBe(' — rejected');
    expect(errors).toEqual([]);
  });

  it('the rejected held quantity awaits its end on the lot page and the dashboard until QA closes it, signed', async () => {
    await page.goto(`${cloud.httpUrl}/`);
    await page.locator('#tile-rejected-awaiting').waitFor();
    expect(await page.textContent('#tile-rejected-awaiting .tile-value')).toBe('2');
    await page.goto(`${cloud.httpUrl}/lots/LOT-Q`);
    await page.waitForSelector('#rejected-stock');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toMatch(
      /^Rejected — 2 units without serial held at Vaccine fridge \(2\), awaiting destruction or return/,
    );
    // A lot with only held units has the closing form too.
    await page.locator('.f-outcome').selectOption('returned');
    expect(await page.locator('form.closure .meaning').textContent()).toMatch(/^Return recorded/);
    await page.locator('.f-reference').fill('RMA-2026-0311');
    await page.locator('.f-closure-reason').fill('Returned to the supplier');
    await page.locator('.f-closure-password').fill(qa.password);
    await Promise.all([page.waitForEvent('load'), page.locator('.f-close').click()]);
    await page.waitForSelector('#stock-closures');
    expect(await page.textContent('[data-k="rejected-awaiting"]')).toBe(
      'No rejected unit awaits destruction or return.',
    );
    expect(await page.textContent('#stock-closures')).toContain('2 (2 without serial, held)');
    expect(await page.textContent('#stock-closures')).toContain('RMA-2026-0311');
    await page.goto(`${cloud.httpUrl}/`);
    await page.locator('#tile-rejected-awaiting').waitFor();
    expect(await page.textContent('#tile-rejected-awaiting .tile-value')).toBe('0');
    expect(errors).toEqual([]);
  });
});
