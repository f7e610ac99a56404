import { PassThrough, Readable } from 'node:stream';
import { encodeGatewayPayload, sgtin96Hex } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/cli/cli-actor.js';
import { runGatewayCli } from '../../src/cli/gateway-cli.js';
import { runUserCli } from '../../src/cli/user-cli.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { createUser, login, type Session } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const UNIT = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7 });
const room = {
  name: 'Cold room A',
  kind: 'room',
  minC: 2,
  maxC: 8,
  alarmDelayMs: 10 * MIN,
  criticalMarginC: 5,
  maxGapMs: 30 * MIN,
};

/**
 * docs/architecture.md "Audit trail": every human action is on the hash-chained trail with actor, time,
 * before/after and reason, and derived changes caused by a human action (a limit change) name it.
 */
describe('human actions on the audit trail', () => {
  let cloud: TestCloud;
  let admin: Session;
  let adminName: string;
  let adminPassword: string;
  const audit = async (entityType: string, entityId?: string) => {
    let q = cloud.evaluator.engine.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_type', '=', entityType)
      .orderBy('seq');
    if (entityId) q = q.where('entity_id', '=', entityId);
    return (await q.execute()).map((a) => ({
      ...a,
      before: a.before_json === null ? undefined : JSON.parse(a.before_json),
      after: a.after_json === null ? undefined : JSON.parse(a.after_json),
    }));
  };
  const api = async (method: string, url: string, payload?: object) => {
    const res = await cloud.app.inject({ method: method as 'GET', url, payload, headers: admin.headers });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? JSON.parse(res.body) : undefined;
  };

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    const a = await createUser(cloud.store, { roles: ['admin', 'qa', 'operator'] });
    adminName = a.username;
    adminPassword = a.password;
    admin = await login(cloud, a.username, a.password);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('locations: created and changed by the user, with before/after; the derived changes name the change', async () => {
    await api('PUT', '/api/v1/locations/room-a', room);
    const [created] = await audit('location', 'room-a');
    expect(created).toMatchObject({ actor: adminName, action: 'location.created', reason: 'master data' });
    expect(created!.before).toBeUndefined();
    expect(created!.after).toMatchObject({ id: 'room-a', min_c: 2, max_c: 8 });

    // A unit in the room and 20 minutes at 12 °C: an excursion locks it.
    await api('POST', '/api/v1/gateways/gw-a/credentials', {});
    const publish = async (name: 'readings' | 'movements', records: object[]) => {
      const seqs = records.map((r) => (r as { seq: number }).seq);
      const out = await cloud.ingestor.handle({
        topic: `coldtrace/v1/gw/gw-a/${name}`,
        payload: Buffer.from(
          encodeGatewayPayload(name, {
            gatewayId: 'gw-a',
            firstSeq: Math.min(...seqs),
            lastSeq: Math.max(...seqs),
            sentAt: T0,
            records,
          } as never),
        ),
      });
      expect(out.kind).toBe('stored');
    };
    await publish('movements', [
      {
        seq: 1,
        epc: UNIT,
        portalId: 'door-a',
        kind: 'pass',
        from: 'dock',
        to: 'room-a',
        direction: 'in',
        ts: T0 - MIN,
        firstSeen: T0 - MIN - 500,
        lastSeen: T0 - MIN + 500,
        reads: 5,
        peakRssi: -50,
      },
    ]);
    await publish(
      'readings',
      Array.from({ length: 21 }, (_, k) => ({
        seq: k + 1,
        sensorId: 's-1',
        locationId: 'room-a',
        ts: T0 + k * 2 * MIN,
        tempC: k >= 5 && k < 15 ? 12 : 5,
        quality: 'ok',
      })),
    );
    await cloud.evaluator.flush();
    expect(await listExcursions(cloud.store.db, { locationId: 'room-a' })).toHaveLength(1);

    // QA corrects the limits retroactively, e-signed: the excursion is withdrawn because of that change,
    // and the lock is held for review (a master-data change never lifts one).
    const { name: _, kind: __, ...limits } = room;
    const signed = { reason: 'mapping study', username: adminName, password: adminPassword };
    await api('POST', '/api/v1/locations/room-a/limits/corrections', {
      ...limits,
      maxC: 15,
      effectiveFrom: null,
      ...signed,
    });
    const changed = (await audit('location', 'room-a'))[1]!;
    expect(changed).toMatchObject({
      actor: adminName,
      action: 'location.limits_corrected',
      reason: 'mapping study',
    });
    expect(changed.before).toMatchObject({ max_c: 8 });
    expect(changed.after).toMatchObject({ max_c: 15, signature: { username: adminName } });
    expect(await listExcursions(cloud.store.db, { locationId: 'room-a' })).toMatchObject([
      { state: 'withdrawn' },
    ]);
    const derived = [...(await audit('excursion')), ...(await audit('lock'))].filter((a) =>
      ['excursion.withdrawn', 'lock.held', 'lock.lifted'].includes(a.action),
    );
    expect(derived.map((a) => a.action).sort()).toEqual(['excursion.withdrawn', 'lock.held']);
    for (const a of derived) {
      expect(a.actor).toBe('system');
      expect(a.reason).toContain(`limits of location room-a corrected retroactively by ${adminName}`);
      expect(a.reason).not.toMatch(/late data/);
    }
    const lock = await cloud.evaluator.engine.db.selectFrom('locks').selectAll().executeTakeFirstOrThrow();
    expect(lock).toMatchObject({ state: 'active' });
    expect(lock.hold_reason).toContain(`corrected retroactively by ${adminName}`);
    // An unchanged upsert is no change: nothing is audited (signed or not).
    const n = (await audit('location', 'room-a')).length;
    await api('PUT', '/api/v1/locations/room-a/limits', { ...limits, maxC: 15, ...signed });
    await api('PUT', '/api/v1/locations/room-a', { ...room, maxC: 15 });
    expect(await audit('location', 'room-a')).toHaveLength(n);
  });

  it('gateway credentials: who issued them, before/after, never the secret', async () => {
    const res = await api('POST', '/api/v1/gateways/gw-b/credentials', { name: 'Dock B' });
    await api('POST', '/api/v1/gateways/gw-b/credentials', {});
    const entries = await audit('gateway', 'gw-b');
    expect(entries.map((e) => [e.actor, e.action, e.before, e.after])).toEqual([
      [adminName, 'gateway.credentials_issued', undefined, { name: 'Dock B', hasSecret: true }],
      // Re-keyed without a name: the route clears it, and the entry shows that.
      [
        adminName,
        'gateway.credentials_issued',
        { name: 'Dock B', hasSecret: true },
        { name: null, hasSecret: true },
      ],
    ]);
    expect(entries[1]!.reason).toMatch(/re-keyed/);
    const stored = (await cloud.store.getGateway('gw-b'))!;
    for (const e of entries) {
      expect(JSON.stringify(e)).not.toContain(res.password);
      expect(JSON.stringify(e)).not.toContain(stored.secret_hash!);
    }
  });

  it('users and tokens: created, roles changed, disabled, password changed, token issued and revoked', async () => {
    const u = await api('POST', '/api/v1/users', {
      username: 'bob',
      roles: ['viewer'],
      password: 'a long enough password 1',
    });
    await api('PATCH', `/api/v1/users/${u.id}`, { roles: ['viewer', 'qa'], disabled: true });
    await api('PATCH', `/api/v1/users/${u.id}`, { password: 'another long password 2', disabled: false });
    const t = await api('POST', '/api/v1/auth/tokens', { name: 'erp', roles: ['operator'] });
    await api('DELETE', `/api/v1/auth/tokens/${t.id}`);
    const users = await audit('user', u.id);
    expect(users.map((e) => [e.actor, e.action, e.before, e.after])).toEqual([
      [
        adminName,
        'user.created',
        undefined,
        { username: 'bob', printedName: 'bob', roles: 'viewer', disabled: false },
      ],
      [adminName, 'user.roles_changed', { roles: 'viewer' }, { roles: 'viewer,qa' }],
      [adminName, 'user.disabled', { disabled: false }, { disabled: true }],
      [adminName, 'user.enabled', { disabled: true }, { disabled: false }],
      [adminName, 'user.password_changed', undefined, undefined],
    ]);
    const tokens = await audit('api_token', t.id);
    expect(tokens.map((e) => [e.actor, e.action])).toEqual([
      [adminName, 'token.created'],
      [adminName, 'token.revoked'],
    ]);
    const all = JSON.stringify(await cloud.evaluator.engine.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of ['a long enough password 1', 'another long password 2', t.token, '$argon2'])
      expect(all).not.toContain(secret);
  });

  it('a user changing their own password is audited as that user', async () => {
    const me = await createUser(cloud.store, { roles: ['viewer'] });
    const session = await login(cloud, me.username, me.password);
    const res = await cloud.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      payload: { currentPassword: me.password, newPassword: 'my brand new password' },
      headers: session.headers,
    });
    expect(res.statusCode).toBe(204);
    const [entry] = (await audit('user', me.user.id)).filter((e) => e.action === 'user.password_changed');
    expect(entry).toMatchObject({
      actor: me.username,
      reason: `password changed by ${me.username} (own account)`,
    });
  });

  it('the `coldtrace user` and `gateway add` CLIs audit as the operating-system user', async () => {
    const database = cloud.config.database;
    const out = new PassThrough();
    const code = await runUserCli(
      ['add', 'carol', '--role', 'qa', '--database', database, '--password-stdin'],
      {
        stdin: Readable.from(['a long enough password 3\n']),
        stdout: out,
        stderr: new PassThrough(),
      },
    );
    expect(code).toBe(0);
    const carol = (await cloud.store.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'carol')
      .executeTakeFirst())!;
    expect((await audit('user', carol.id)).map((e) => [e.actor, e.action])).toEqual([
      [cliActor(), 'user.created'],
    ]);
    expect(cliActor()).toMatch(/^cli:./);

    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await runGatewayCli(['add', 'gw-cli', '--database', database])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect((await audit('gateway', 'gw-cli')).map((e) => [e.actor, e.action])).toEqual([
      [cliActor(), 'gateway.credentials_issued'],
    ]);
    expect((await verifyAuditTrail(cloud.evaluator.engine.db)).ok).toBe(true);
  });
});
