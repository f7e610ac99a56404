import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeGatewayPayload, eventTopic, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhook } from '../../src/integrations/webhook-signature.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { bearer, createUser, login } from '../helpers/auth.js';
import { injectJson, startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const GTIN = '80614141123458';
const EPC = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 77 });
const SECRET = 'whsec-0123456789abcdef';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('integrations: signed webhooks from the outbox and MQTT events (docs/architecture.md "Integrations")', () => {
  let cloud: TestCloud;
  let server: Server;
  let hookUrl: string;
  const deliveries: Delivery[] = [];
  let failFirst = 1;
  let auth: { authorization: string };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (failFirst-- > 0) {
          res.writeHead(503).end(); // the receiver is down once: the outbox retries
          return;
        }
        deliveries.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    cloud = await startTestCloud({
      mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: 'erp-secret-0123456789' } },
    });
    auth = await bearer(cloud, ['admin']);
  });
  afterAll(async () => {
    await cloud?.stop();
    server?.close();
  });

  const api = (method: string, url: string, payload?: unknown, headers: Record<string, string> = auth) =>
    injectJson(cloud, method, url, payload, headers);

  it('locks a unit through the real broker, tells the ERP by webhook and MQTT, and takes an e-signed release', async () => {
    expect((await api('PUT', '/api/v1/webhooks/erp', { url: hookUrl, secret: SECRET })).status).toBe(200);
    expect((await api('PUT', '/api/v1/webhooks/bad', { url: 'ftp://x', secret: 'short' })).status).toBe(400);
    for (const id of ['room-a', 'truck-1']) {
      const r = await api('PUT', `/api/v1/locations/${id}`, {
        name: id,
        kind: id.startsWith('truck') ? 'vehicle' : 'room',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 5,
        maxGapMs: 30 * MIN,
      });
      expect(r.status).toBe(200);
    }
    expect(
      (
        await api('PUT', `/api/v1/products/${GTIN}`, {
          name: 'Vaccine',
          minC: 2,
          maxC: 8,
          stabilityBudgetMs: 3_600_000,
        })
      ).status,
    ).toBe(200);
    expect(
      (await api('PUT', '/api/v1/products/123', { name: 'x', minC: 2, maxC: 8, stabilityBudgetMs: 1 }))
        .status,
    ).toBe(400);
    expect(
      (await api('PUT', '/api/v1/lots/LOT-9', { gtin: GTIN, lotNumber: 'L9', expiry: '2027-06-30' })).status,
    ).toBe(200);
    expect(
      (await api('PUT', '/api/v1/lots/LOT-X', { gtin: GTIN, lotNumber: 'L9', expiry: 'soon' })).status,
    ).toBe(400);
    expect((await api('POST', '/api/v1/lots/LOT-9/epcs', { epcs: [EPC] })).status).toBe(200);

    const erp = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'erp@events',
      username: 'erp',
      password: 'erp-secret-0123456789',
      reconnectPeriod: 0,
    });
    const mqttEvents: Array<{ topic: string; payload: string }> = [];
    erp.on('message', (topic, payload) => mqttEvents.push({ topic, payload: payload.toString() }));
    await erp.subscribeAsync('coldtrace/v1/events/#', { qos: 1 });

    const secret = await cloud.addGateway('gw-truck');
    const gw = await cloud.connect('gw-truck', secret);
    const move = {
      seq: 1,
      epc: EPC,
      portalId: 'door',
      kind: 'pass',
      from: 'room-a',
      to: 'truck-1',
      direction: 'in',
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -40,
    };
    await gw.publishAsync(
      'coldtrace/v1/gw/gw-truck/movements',
      encodeGatewayPayload('movements', {
        gatewayId: 'gw-truck',
        firstSeq: 1,
        lastSeq: 1,
        sentAt: T0,
        records: [move],
      } as never),
      { qos: 1 },
    );
    const records = Array.from({ length: 13 }, (_, i) => ({
      seq: i + 1,
      sensorId: 'reefer',
      locationId: 'truck-1',
      ts: T0 + i * 5 * MIN,
      tempC: i >= 4 && i < 9 ? 12 : 5,
      quality: 'ok',
    }));
    await gw.publishAsync(
      'coldtrace/v1/gw/gw-truck/readings',
      encodeGatewayPayload('readings', {
        gatewayId: 'gw-truck',
        firstSeq: 1,
        lastSeq: 13,
        sentAt: T0,
        records,
      } as never),
      { qos: 1 },
    );
    await gw.endAsync();

    const locks = await until(async () => {
      const r = await api('GET', `/api/v1/locks?state=active`);
      return r.body.length ? r.body : null;
    }, 'the lock');
    expect(locks[0]).toMatchObject({ epc: EPC, lotId: 'LOT-9', state: 'active', locationId: 'truck-1' });
    const lot = (await api('GET', '/api/v1/lots/LOT-9')).body;
    expect(lot.units).toMatchObject({ total: 1, locked: 1 });
    expect(lot.timeOutsideMs).toBe(25 * MIN);

    // The webhook failed once (503): the outbox keeps the row with the error and retries it (made due
    // now instead of after its backoff; the dispatcher's next poll sends it). Its HMAC verifies.
    const lockHook = () =>
      cloud.evaluator.engine.db
        .selectFrom('outbox')
        .selectAll()
        .where('target', '=', 'webhook:erp')
        .where('event', '=', 'lock')
        .executeTakeFirst();
    const refused = await until(async () => {
      const row = await lockHook();
      return row && row.attempts > 0 ? row : undefined;
    }, 'the refused lock webhook');
    expect(refused).toMatchObject({
      delivered_at: null,
      attempts: 1,
      last_error: expect.stringMatching(/503/),
    });
    expect(deliveries).toEqual([]);
    await cloud.evaluator.engine.db
      .updateTable('outbox')
      .set({ next_at: 0 })
      .where('id', '=', refused.id)
      .execute();
    await until(async () => (await lockHook())?.delivered_at, 'the lock webhook delivered on retry');
    const hook = deliveries.find((d) => d.headers['x-coldtrace-event'] === 'lock')!;
    expect(verifyWebhook(SECRET, hook.headers[SIGNATURE_HEADER] as string, hook.body, Date.now())).toBe(true);
    expect(verifyWebhook(SECRET, hook.headers[SIGNATURE_HEADER] as string, `${hook.body} `, Date.now())).toBe(
      false,
    );
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'lock', units: [{ epc: EPC, lotId: 'LOT-9' }] });
    await until(() => mqttEvents.find((e) => e.topic === eventTopic('lock')), 'the MQTT lock event');

    // E-signed release over HTTP: wrong password refused, viewer refused, QA accepted.
    const excursion = (await api('GET', '/api/v1/excursions')).body[0];
    const qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Anna Quality' });
    const viewer = await createUser(cloud.store, { roles: ['viewer'] });
    const qaSession = (await login(cloud, qa.username, qa.password)).headers;
    const viewerSession = (await login(cloud, viewer.username, viewer.password)).headers;
    const sign = (username: string, password: string, session: Record<string, string> = qaSession) =>
      api(
        'POST',
        `/api/v1/excursions/${encodeURIComponent(excursion.id)}/dispositions`,
        {
          lotId: 'LOT-9',
          decision: 'release',
          reason: 'MKT within label claim',
          username,
          password,
        },
        session,
      );
    expect((await sign(qa.username, 'wrong-password')).status).toBe(401);
    expect((await sign(viewer.username, viewer.password, viewerSession)).status).toBe(403);
    // Valid credentials of another user in this session: a signature is used only by its owner.
    expect((await sign(viewer.username, viewer.password)).status).toBe(403);
    // An integration token may read but never sign.
    expect((await sign(qa.username, qa.password, await bearer(cloud, ['qa']))).status).toBe(403);
    const signed = await sign(qa.username, qa.password);
    expect(signed.status).toBe(201);
    expect(signed.body.signature).toMatchObject({ printedName: 'Anna Quality', username: qa.username });
    expect((await api('GET', '/api/v1/locks?state=active')).body).toEqual([]);
    const detail = (await api('GET', `/api/v1/excursions/${encodeURIComponent(excursion.id)}`)).body;
    expect(detail).toMatchObject({ reviewState: 'decided', dispositions: [{ decision: 'release' }] });
    expect(detail.affectedLots[0]).toMatchObject({
      lotId: 'LOT-9',
      exposedUnits: 1,
      releasedUnits: 1,
      whereNow: { 'truck-1': 1 },
    });
    await until(
      () => deliveries.some((d) => d.headers['x-coldtrace-event'] === 'disposition'),
      'the disposition webhook',
    );
    await until(
      () => mqttEvents.find((e) => e.topic === eventTopic('disposition')),
      'the MQTT disposition event',
    );
    await erp.endAsync();

    expect((await api('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true, firstBroken: null });
    expect((await verifyAuditTrail(cloud.evaluator.engine.db)).ok).toBe(true);
    const epcView = (await api('GET', `/api/v1/epcs/${EPC}`)).body;
    expect(epcView).toMatchObject({ commissioned: true, lotId: 'LOT-9', location: 'truck-1', locked: false });
    expect((await api('GET', '/api/v1/epcs/0000000000000000DEADBEEF')).status).toBe(404);
  });
});
