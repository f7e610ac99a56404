import { encodeGatewayPayload, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login } from '../helpers/auth.js';
import { evaluated, injectJson, startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 4, 4, 0, 0, 0);
const MIN = 60_000;
const GTIN = '00614141999996';
const EPCS = [1, 2].map((serial) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '099999', serial }));
const RULE = { kind: 'above', thresholdC: 8, limitMs: 30 * MIN };

describe('products carry cumulative rules; the lot assessment and locks show them (API)', () => {
  let cloud: TestCloud;
  let auth: { authorization: string };
  beforeAll(async () => {
    cloud = await startTestCloud();
    auth = await bearer(cloud, ['admin']);
  });
  afterAll(() => cloud?.stop());

  const api = (method: string, url: string, payload?: unknown) =>
    injectJson(cloud, method, url, payload, auth);
  const product = { name: 'Oral polio vaccine', minC: 2, maxC: 8, stabilityBudgetMs: 600 * MIN };

  it('PUT /products/:gtin validates the rules (4xx with the reason) and stores them', async () => {
    for (const [rules, why] of [
      [[{ ...RULE, limitMs: 0 }], /limitMs must be > 0/],
      [[{ ...RULE, kind: 'sideways' }], /kind/],
      [[{ ...RULE, thresholdC: '8' }], /thresholdC/],
      [[{ ...RULE, extra: 1 }], /extra/],
      [[RULE, { ...RULE, limitMs: 60 * MIN }], /two rules for above 8 °C/],
    ] as const) {
      const r = await api('PUT', `/api/v1/products/${GTIN}`, { ...product, cumulativeRules: rules });
      expect(r.status, JSON.stringify(rules)).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(why);
    }
    expect((await api('GET', `/api/v1/products/${GTIN}`)).status).toBe(404); // nothing stored

    const put = await api('PUT', `/api/v1/products/${GTIN}`, { ...product, cumulativeRules: [RULE] });
    expect(put).toMatchObject({ status: 200, body: { gtin: GTIN, cumulativeRules: [RULE] } });
    expect((await api('GET', `/api/v1/products/${GTIN}`)).body.cumulativeRules).toEqual([RULE]);
    // The rules of an existing product are its specification: the plain PUT may not change them (403,
    // nothing stored); the e-signed one replaces them (without the field, no rules).
    const noRules = await api('PUT', `/api/v1/products/${GTIN}`, product);
    expect(noRules).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await api('GET', `/api/v1/products/${GTIN}`)).body.cumulativeRules).toEqual([RULE]);
    const qa = await createUser(cloud.store, { roles: ['qa'] });
    const session = await login(cloud, qa.username, qa.password);
    const { name: _, ...spec } = product;
    const signed = { reason: 'stability study', username: qa.username, password: qa.password };
    const limits = (body: object) =>
      cloud.app.inject({
        method: 'PUT',
        url: `/api/v1/products/${GTIN}/limits`,
        payload: { ...spec, ...signed, ...body },
        headers: session.headers,
      });
    expect((await limits({})).statusCode).toBe(200);
    expect((await api('GET', `/api/v1/products/${GTIN}`)).body.cumulativeRules).toEqual([]);
    expect((await limits({ cumulativeRules: [RULE] })).statusCode).toBe(200);
    const audit = (await api('GET', `/api/v1/audit?entityType=product&entityId=${GTIN}`)).body as Array<{
      action: string;
      actor: string;
    }>;
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['product.created', 'token:test-admin'],
      ['product.updated', qa.username],
      ['product.updated', qa.username],
    ]);
  });

  it('readings through the broker push a lot over its rule: the assessment says so and its units are locked', async () => {
    const loc = {
      kind: 'store',
      minC: 2,
      maxC: 12,
      alarmDelayMs: 60 * MIN,
      criticalMarginC: 5,
      maxGapMs: 30 * MIN,
    };
    expect((await api('PUT', '/api/v1/locations/fridge', { name: 'Fridge', ...loc })).status).toBe(200);
    expect(
      (await api('PUT', '/api/v1/lots/LOT-F', { gtin: GTIN, lotNumber: 'OPV9', expiry: '2026-12-31' }))
        .status,
    ).toBe(200);
    expect((await api('POST', '/api/v1/lots/LOT-F/epcs', { epcs: EPCS })).status).toBe(200);
    const gw = await cloud.connect('store-gw', await cloud.addGateway('store-gw'));
    const moves = EPCS.map((epc, i) => ({
      seq: i + 1,
      epc,
      portalId: 'fridge-door',
      kind: 'pass',
      from: 'backroom',
      to: 'fridge',
      direction: 'in',
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -40,
    }));
    await gw.publishAsync(
      'coldtrace/v1/gw/store-gw/movements',
      encodeGatewayPayload('movements', {
        gatewayId: 'store-gw',
        firstSeq: 1,
        lastSeq: 2,
        sentAt: T0,
        records: moves,
      } as never),
      { qos: 1 },
    );
    // 10 °C (inside the fridge's 2–12 °C) from 0 to 40 min, then 5 °C: 40 min above +8 °C ≥ 30 min.
    const records = Array.from({ length: 7 }, (_, i) => ({
      seq: i + 1,
      sensorId: 'fridge-a',
      locationId: 'fridge',
      ts: T0 + i * 10 * MIN,
      tempC: i < 4 ? 10 : 5,
      quality: 'ok',
    }));
    await gw.publishAsync(
      'coldtrace/v1/gw/store-gw/readings',
      encodeGatewayPayload('readings', {
        gatewayId: 'store-gw',
        firstSeq: 1,
        lastSeq: 7,
        sentAt: T0,
        records,
      } as never),
      { qos: 1 },
    );
    await gw.endAsync();
    const locks = await until(async () => {
      const r = await api('GET', '/api/v1/locks?state=active');
      return r.body.length === 2 ? r.body : null;
    }, 'the cumulative locks');
    expect(locks[0]).toMatchObject({
      cause: 'cumulative',
      excursionId: 'cumulative:LOT-F:above:8:1800000',
      lotId: 'LOT-F',
      locationId: 'fridge',
      exposedFrom: T0 + 30 * MIN,
      state: 'active',
    });
    await evaluated(cloud, 'fridge'); // the readings were evaluated: 10 °C is no excursion in the fridge
    const lot = (await api('GET', '/api/v1/lots/LOT-F')).body;
    expect(lot.units).toMatchObject({ total: 2, locked: 2 });
    expect(lot.excursions).toEqual([]);
    expect(lot.cumulative).toEqual([
      {
        rule: RULE,
        key: 'cumulative:LOT-F:above:8:1800000',
        exposedMs: 40 * MIN,
        limitMs: 30 * MIN,
        exceeded: true,
        unitsExceeded: 2,
        reachedAt: T0 + 30 * MIN,
        lockedUnits: 2,
      },
    ]);
    expect((await api('GET', '/api/v1/excursions')).body).toEqual([]);
  });
});
