import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ManualClock, manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { createUser, login, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * A hostile user repeating a refused request cannot fill the audit trail, yet every attempt is accounted
 * for (recorded, or counted on a later entry), and crossing the alert threshold tells ERP/SIEM subscribers
 * at once (21 CFR 11.300(d)).
 */
const ERP = 'erp-secret-0123456789';
let wall: ManualClock;
let cloud: TestCloud;
let viewer: TestUser;
let erp: mqtt.MqttClient;
const alerts: Array<Record<string, unknown>> = [];
/** What the SIEM's webhook received: event header and body. */
const hooks: Array<{ event: string; body: Record<string, unknown> }> = [];
let siem: Server;

const denied = async (session: { headers: Record<string, string> }) =>
  (
    await cloud.app.inject({
      method: 'POST',
      url: '/api/v1/users/nobody/unlock',
      payload: {},
      headers: session.headers,
      remoteAddress: '10.9.0.1',
    })
  ).statusCode;

async function deniedEntries() {
  return cloud.store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', 'security.permission_denied')
    .where('actor', '=', viewer.username)
    .orderBy('seq')
    .execute();
}

beforeAll(async () => {
  wall = manualClock(Date.UTC(2026, 11, 6, 9, 0, 0));
  siem = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      hooks.push({ event: String(req.headers['x-coldtrace-event']), body: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => siem.listen(0, '127.0.0.1', r));
  const siemUrl = `http://127.0.0.1:${(siem.address() as AddressInfo).port}/hook`;
  cloud = await startTestCloud(
    {
      // A SIEM subscribed to security alerts only.
      integrations: {
        webhooks: [{ id: 'siem', url: siemUrl, secret: 'whsec-siem-0123456789', events: ['security_alert'] }],
      },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: ERP } },
      auth: {
        securityEvents: {
          auditBurst: { max: 3, windowMs: 60_000 },
          alert: { threshold: 5, windowMs: 60_000, events: ['permission_denied'] },
        },
      },
    },
    { wallClock: wall },
  );
  viewer = await createUser(cloud.store, { roles: ['viewer'] });
  erp = await mqtt.connectAsync(cloud.mqttUrl!, {
    clientId: 'erp@siem',
    username: 'erp',
    password: ERP,
    reconnectPeriod: 0,
  });
  erp.on('message', (_t, payload) => alerts.push(JSON.parse(String(payload))));
  await erp.subscribeAsync('coldtrace/v1/events/security_alert', { qos: 1 });
});
let closed = false;
afterAll(async () => {
  if (!erp?.disconnected) await erp?.endAsync();
  if (closed) rmSync(cloud.dir, { recursive: true, force: true });
  else await cloud?.stop();
  await new Promise((r) => siem?.close(r));
});

describe('a burst of permission denials', () => {
  it('writes at most the burst limit, states the rest later, and raises one alert', async () => {
    const session = await login(cloud, viewer.username, viewer.password);
    for (let i = 0; i < 8; i++) expect(await denied(session)).toBe(403);

    const entries = await deniedEntries();
    expect(entries).toHaveLength(3);
    const metrics = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^coldtrace_security_events_total\{event="permission_denied"\} 8$/m);

    // The fifth denial crossed the threshold: one alert on the trail and one integration event.
    const alertEntries = await cloud.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'security.alert_raised')
      .execute();
    expect(alertEntries).toHaveLength(1);
    expect(JSON.parse(alertEntries[0]!.after_json!)).toMatchObject({
      count: 5,
      byEvent: { permission_denied: 5 },
    });
    await until(() => alerts.length >= 1, 'the security_alert event over MQTT');
    expect(alerts[0]).toMatchObject({ type: 'security_alert', count: 5, windowMs: 60_000 });
    await until(() => hooks.length >= 1, 'the security_alert webhook');
    expect(hooks).toEqual([
      { event: 'security_alert', body: expect.objectContaining({ type: 'security_alert', count: 5 }) },
    ]);

    // The next window: the first entry says how many of the previous window were left off the trail.
    wall.advance(60_000);
    expect(await denied(session)).toBe(403);
    const after = await deniedEntries();
    expect(after).toHaveLength(4);
    expect(JSON.parse(after[3]!.after_json!)).toMatchObject({ suppressedBefore: 5 });
    expect(alerts).toHaveLength(1);

    // Two more beyond the limit in this window are stated at shutdown, and the chain still verifies.
    for (let i = 0; i < 4; i++) expect(await denied(session)).toBe(403);
    expect(await deniedEntries()).toHaveLength(6);
    await erp.endAsync();
    await cloud.close();
    closed = true;
    const store = new CloudStore(await openDatabase(`sqlite:${cloud.dir}/cloud.db`));
    try {
      const summary = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'security.events_suppressed')
        .execute();
      expect(summary).toHaveLength(1);
      expect(summary[0]).toMatchObject({ entity_id: 'permission_denied', actor: viewer.username });
      expect(JSON.parse(summary[0]!.after_json!)).toMatchObject({ suppressed: 2, source: '10.9.0.1' });
      expect((await verifyAuditTrail(store.db)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
