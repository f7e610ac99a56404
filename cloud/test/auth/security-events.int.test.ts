import { Writable } from 'node:stream';
import { type ManualClock, manualClock } from '@coldtrace/shared';
import { createTestPki, until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { createUser, login, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * 21 CFR 11.300(d): attempts at unauthorized use are detected and reported. Each security event is on
 * the audit trail (`security.*`), in the log with its code, and counted in /metrics; one source alone
 * cannot lock an account (docs/architecture.md "HTTP API and QA pages").
 */
const ERP = 'erp-secret-0123456789';
let wall: ManualClock;
let cloud: TestCloud;
let admin: TestUser;
let viewer: TestUser;
const logLines: Array<Record<string, unknown>> = [];

const post = (url: string, payload: object, opts: { ip?: string; headers?: Record<string, string> } = {}) =>
  cloud.app.inject({
    method: 'POST',
    url,
    payload,
    headers: opts.headers ?? {},
    remoteAddress: opts.ip ?? '127.0.0.1',
  });
const loginAs = (username: string, password: string, ip = '127.0.0.1') =>
  post('/api/v1/auth/login', { username, password }, { ip });

/** The security audit entries about `subject`, oldest first. */
async function securityEntries(subject: string) {
  return cloud.store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('entity_type', '=', 'security')
    .where('entity_id', '=', subject)
    .orderBy('seq')
    .execute();
}
const actions = async (subject: string) => (await securityEntries(subject)).map((e) => e.action);

async function metric(event: string): Promise<number> {
  const text = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = new RegExp(`^coldtrace_security_events_total\\{event="${event}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  wall = manualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  cloud = await startTestCloud(
    {
      mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: ERP } },
      auth: { loginRateLimit: { max: 10_000, windowMs: 60_000 } },
    },
    { wallClock: wall, log: pino({ level: 'warn' }, sink) },
  );
  admin = await createUser(cloud.store, { roles: ['admin'] });
  viewer = await createUser(cloud.store, { roles: ['viewer'] });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('failed logins', () => {
  it('are on the audit trail, in the log with their code and counted, without the password', async () => {
    const before = await metric('login_failed');
    expect((await loginAs(viewer.username, 'not the password', '10.0.0.1')).statusCode).toBe(401);
    const [entry] = await securityEntries(viewer.username);
    expect(entry).toMatchObject({ action: 'security.login_failed', actor: viewer.username });
    expect(JSON.parse(entry!.after_json!)).toMatchObject({
      code: 'unauthorized',
      source: '10.0.0.1',
      failures: 1,
    });
    expect(JSON.stringify(entry)).not.toContain('not the password');
    expect(await metric('login_failed')).toBe(before + 1);
    expect(logLines).toContainEqual(
      expect.objectContaining({ event: 'login_failed', code: 'unauthorized', subject: viewer.username }),
    );
    expect((await loginAs(viewer.username, viewer.password, '10.0.0.1')).statusCode).toBe(200);
  });
});

describe('lockout is not a denial of service', () => {
  it('repeated failures from one source are throttled there; the account stays open to its owner', async () => {
    const victim = await createUser(cloud.store, { roles: ['qa'] });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await loginAs(victim.username, `guess-${i}`, '10.6.6.6')).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401]);
    // The attacker's address is throttled, even with the right password...
    expect((await loginAs(victim.username, victim.password, '10.6.6.6')).statusCode).toBe(429);
    expect(await actions(victim.username)).toContain('security.login_throttled');
    // ...and keeps failing the moment each throttle ends (30 s, 60 s, 120 s, … : within the lockout
    // window, so nothing is forgotten), yet the account never locks.
    for (let round = 0; round < 7; round++) {
      wall.advance(Math.min(30_000 * 2 ** round, 15 * 60_000) + 1000);
      expect((await loginAs(victim.username, `guess-again-${round}`, '10.6.6.6')).statusCode).toBe(401);
      expect((await loginAs(victim.username, victim.password, '10.6.6.6')).statusCode).toBe(429);
    }
    expect(await actions(victim.username)).not.toContain('security.account_locked');
    // The precondition of that absence: the attacker did fail more often than the account's lock threshold.
    const failed = (await actions(victim.username)).filter((a) => a === 'security.login_failed');
    expect(failed.length).toBeGreaterThan(10);
    expect((await loginAs(victim.username, victim.password, '10.1.1.1')).statusCode).toBe(200);
  });

  it('failures from several sources lock the account; an admin unlocks it, audited', async () => {
    const victim = await createUser(cloud.store, { roles: ['qa'] });
    const lockedBefore = await metric('account_locked');
    for (const ip of ['10.7.0.1', '10.7.0.2'])
      for (let i = 0; i < 5; i++)
        expect((await loginAs(victim.username, `guess-${i}`, ip)).statusCode).toBe(401);
    expect((await loginAs(victim.username, victim.password, '10.1.1.1')).statusCode).toBe(429);
    expect(await actions(victim.username)).toContain('security.account_locked');
    expect(await metric('account_locked')).toBe(lockedBefore + 1);

    // A viewer may not unlock: a permission denial, itself a security event.
    const viewerSession = await login(cloud, viewer.username, viewer.password);
    const deniedBefore = await metric('permission_denied');
    const denied = await post(
      `/api/v1/users/${victim.user.id}/unlock`,
      {},
      { headers: viewerSession.headers },
    );
    expect(denied.statusCode).toBe(403);
    expect(await metric('permission_denied')).toBe(deniedBefore + 1);
    const [deniedEntry] = await securityEntries('POST /api/v1/users/:id/unlock');
    expect(deniedEntry).toMatchObject({ action: 'security.permission_denied', actor: viewer.username });
    expect(deniedEntry!.reason).toMatch(/needs one of the roles: admin/);
    expect((await loginAs(victim.username, victim.password, '10.1.1.1')).statusCode).toBe(429);

    const adminSession = await login(cloud, admin.username, admin.password);
    const res = await post(
      `/api/v1/users/${victim.user.id}/unlock`,
      { reason: 'confirmed with the user by phone' },
      { headers: adminSession.headers },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ username: victim.username, wasLocked: true });
    const unlock = (await securityEntries(victim.username)).at(-1);
    expect(unlock).toMatchObject({
      action: 'security.account_unlocked',
      actor: admin.username,
      reason: 'confirmed with the user by phone',
    });
    expect(JSON.parse(unlock!.after_json!)).toMatchObject({ wasLocked: true, failures: 10 });
    expect((await loginAs(victim.username, victim.password, '10.1.1.1')).statusCode).toBe(200);
  });

  it('the lock grows with each further failure after it ends', async () => {
    const victim = await createUser(cloud.store, { roles: ['viewer'] });
    for (const ip of ['10.8.0.1', '10.8.0.2'])
      for (let i = 0; i < 5; i++) await loginAs(victim.username, `guess-${i}`, ip);
    const locks = async () =>
      (await securityEntries(victim.username))
        .filter((e) => e.action === 'security.account_locked')
        .map((e) => JSON.parse(e.after_json!) as { lockedUntil: number });
    expect((await locks()).map((l) => l.lockedUntil - wall.now())).toEqual([30_000]);
    wall.advance(31_000);
    expect((await loginAs(victim.username, 'guess-x', '10.8.0.3')).statusCode).toBe(401);
    expect((await locks()).map((l) => l.lockedUntil - wall.now())).toEqual([-1_000, 60_000]);
  });
});

describe('e-signatures', () => {
  it('a failed signature is recorded and counted; a locked signer is refused and recorded', async () => {
    const qa = await createUser(cloud.store, { roles: ['qa'] });
    const s = await login(cloud, qa.username, qa.password);
    const sign = (password: string) =>
      post(
        '/api/v1/excursions/room-x@2026-01-01T00:00:00.000Z/dispositions',
        { lotId: 'no-such-lot', decision: 'reject', reason: 'test', username: qa.username, password },
        { headers: s.headers },
      );
    const before = await metric('signature_failed');
    expect((await sign('wrong signing password')).statusCode).toBe(401);
    expect(await actions(qa.username)).toEqual(['security.signature_failed']);
    expect(await metric('signature_failed')).toBe(before + 1);
    // Failed signatures count toward the signer's lockout (docs/architecture.md "HTTP API and QA pages").
    for (let i = 0; i < 9; i++) await sign('wrong signing password');
    expect(await actions(qa.username)).toContain('security.account_locked');
    expect((await sign(qa.password)).statusCode).toBe(401);
    expect((await actions(qa.username)).at(-1)).toBe('security.signature_refused');
  });
});

describe('refused e-signatures and other 403s', () => {
  it('signing as someone else and a missing CSRF token are recorded', async () => {
    const qa = await createUser(cloud.store, { roles: ['qa'] });
    const other = await createUser(cloud.store, { roles: ['qa'] });
    const s = await login(cloud, qa.username, qa.password);
    const url = '/api/v1/excursions/room-x@2026-01-01T00:00:00.000Z/dispositions';
    const signature = { lotId: 'no-such-lot', decision: 'reject', reason: 'test' };
    const before = await metric('signature_refused');
    const asOther = await post(
      url,
      { ...signature, username: other.username, password: other.password },
      { headers: s.headers },
    );
    expect(asOther.statusCode).toBe(403);
    expect(await metric('signature_refused')).toBe(before + 1);
    const [refused] = await securityEntries(`POST /api/v1/excursions/:id/dispositions`);
    expect(refused).toMatchObject({ action: 'security.signature_refused', actor: qa.username });
    expect(refused!.reason).toMatch(/only by its owner/);
    // The other user's attempts are not spent by it.
    expect(await actions(other.username)).toEqual([]);

    const deniedBefore = await metric('permission_denied');
    const noCsrf = await post(
      url,
      { ...signature, username: qa.username, password: qa.password },
      {
        headers: { cookie: s.cookie },
      },
    );
    expect(noCsrf.statusCode).toBe(403);
    expect(await metric('permission_denied')).toBe(deniedBefore + 1);
    expect((await securityEntries(`POST /api/v1/excursions/:id/dispositions`)).at(-1)!.reason).toMatch(
      /CSRF/,
    );
  });
});

describe('MQTT', () => {
  it('a refused login and a refused client id are recorded and counted', async () => {
    const secret = await cloud.addGateway('gw-sec');
    const refused = (clientId: string, username: string, password: string) =>
      mqtt
        .connectAsync(cloud.mqttUrl!, {
          clientId,
          username,
          password,
          reconnectPeriod: 0,
          connectTimeout: 5000,
        })
        .then(
          async (c) => {
            await c.endAsync();
            return false;
          },
          () => true,
        );
    const loginsBefore = await metric('mqtt_login_refused');
    const idsBefore = await metric('mqtt_client_id_refused');
    expect(await refused('gw-sec', 'gw-sec', 'wrong-secret')).toBe(true);
    expect(await refused('gw-sec', 'erp', ERP)).toBe(true);
    await until(async () => (await actions('gw-sec')).length === 2, 'both refusals on the audit trail');
    expect(await actions('gw-sec')).toEqual([
      'security.mqtt_login_refused',
      'security.mqtt_client_id_refused',
    ]);
    const [wrong, stolen] = await securityEntries('gw-sec');
    expect(wrong!.actor).toBe('gw-sec');
    expect(stolen!.actor).toBe('erp');
    expect(JSON.stringify(wrong)).not.toContain('wrong-secret');
    expect(JSON.parse(stolen!.after_json!)).toMatchObject({ code: 'forbidden', source: expect.any(String) });
    expect(await metric('mqtt_login_refused')).toBe(loginsBefore + 1);
    expect(await metric('mqtt_client_id_refused')).toBe(idsBefore + 1);
    // The gateway itself still connects.
    const ok = await cloud.connect('gw-sec', secret);
    await ok.endAsync();
  });
});

describe('MQTT over mutual TLS', () => {
  it('a certificate that names another gateway is a recorded, counted refusal', async () => {
    const pki = createTestPki();
    const mutual = await startTestCloud({
      mqtt: {
        embedded: {
          host: '127.0.0.1',
          port: 0,
          tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCa: pki.caFile },
        },
      },
    });
    try {
      const secretB = await mutual.addGateway('gw-b');
      const certOfA = pki.client('gw-a');
      const viaCertOfA = { ca: pki.ca, cert: certOfA.cert, key: certOfA.key };
      // Precondition: gw-b's secret is good (with its own certificate it gets in).
      const certOfB = pki.client('gw-b');
      const b = await mutual.connect('gw-b', secretB, { ca: pki.ca, cert: certOfB.cert, key: certOfB.key });
      await b.endAsync();
      await expect(mutual.connect('gw-b', secretB, viaCertOfA)).rejects.toThrow(/Not authorized/);
      const entries = () =>
        mutual.store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('action', '=', 'security.mqtt_certificate_refused')
          .execute();
      await until(async () => (await entries()).length === 1, 'the refusal on the audit trail');
      const [e] = await entries();
      expect(e).toMatchObject({ actor: 'gw-b', entity_type: 'security', entity_id: 'gw-b' });
      expect(e!.reason).toMatch(/gw-a/);
      const body = (await mutual.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(body).toMatch(/^coldtrace_security_events_total\{event="mqtt_certificate_refused"\} 1$/m);
      expect((await verifyAuditTrail(mutual.store.db)).ok).toBe(true);
    } finally {
      await mutual.stop();
      pki.remove();
    }
  });
});

describe('the audit trail', () => {
  it('still verifies after all these security events', async () => {
    const n = await cloud.store.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('entity_type', '=', 'security')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBeGreaterThan(20);
    expect((await verifyAuditTrail(cloud.store.db)).ok).toBe(true);
  });
});
