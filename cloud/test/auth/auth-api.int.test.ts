import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/http/build-app.js';
import { bearer, createUser, login, type TestUser } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

let cloud: TestCloud;
/** The cloud's HTTP app with a login rate limit high enough for the many logins here (its own test below). */
let app: App;
let admin: TestUser;
let qa: TestUser;
let viewer: TestUser;

const LOCATION = {
  name: 'Cold room',
  kind: 'room',
  minC: 2,
  maxC: 8,
  alarmDelayMs: 600_000,
  criticalMarginC: 5,
  maxGapMs: 300_000,
};

beforeAll(async () => {
  cloud = await startTestCloud();
  app = await buildApp({
    store: cloud.store,
    evaluator: cloud.evaluator,
    auth: { loginRateLimit: { max: 10_000, windowMs: 60_000 } },
  });
  admin = await createUser(cloud.store, { roles: ['admin'], username: 'admin1' });
  qa = await createUser(cloud.store, { roles: ['qa'], username: 'qa1', printedName: 'Quinn Assurance' });
  viewer = await createUser(cloud.store, { roles: ['viewer'], username: 'viewer1' });
});
afterAll(async () => {
  await app?.close();
  await cloud?.stop();
});

const inject = (o: InjectOptions) => app.inject(o);

describe('open endpoints', () => {
  it('healthz, metrics, openapi.json, docs, static files and auth/status need no login', async () => {
    for (const url of ['/healthz', '/metrics', '/openapi.json', '/static/app.css', '/api/v1/auth/status']) {
      const res = await inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    expect((await inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await inject({ method: 'GET', url: '/api/v1/auth/status' })).json()).toEqual({
      usersExist: true,
    });
  });

  it('the OpenAPI document lists the auth and user endpoints', async () => {
    const doc = (await inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const p of [
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/api/v1/auth/tokens',
      '/api/v1/users',
      '/api/v1/users/{id}',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});

describe('POST /api/v1/auth/login', () => {
  it('sets an HttpOnly SameSite=Strict cookie and returns the user and CSRF token', async () => {
    const res = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'QA1', password: qa.password },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({
      username: 'qa1',
      printedName: 'Quinn Assurance',
      roles: ['qa'],
      disabled: false,
    });
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/);
    expect(body.user.password_hash ?? body.user.passwordHash).toBeUndefined();
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^coldtrace_session=[\w-]{40,};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
  });

  it('refuses a wrong password and an unknown user with the same generic 401', async () => {
    const wrong = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'qa1', password: 'not the password' },
    });
    const unknown = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'ghost', password: 'not the password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: 'unauthorized', message: 'invalid username or password' });
    expect(unknown.json()).toEqual(wrong.json());
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('rejects malformed bodies with 400', async () => {
    for (const payload of [
      {},
      { username: 'qa1' },
      { username: '', password: 'x' },
      { username: 'qa1', password: 7 },
    ]) {
      const res = await inject({ method: 'POST', url: '/api/v1/auth/login', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error).toBe('invalid');
    }
  });

  it('locks a username after repeated failures (429), while other users still log in', async () => {
    const victim = await createUser(cloud.store, { roles: ['viewer'] });
    for (let i = 0; i < 5; i++)
      await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: victim.username, password: `guess-${i}-guess` },
      });
    const res = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: victim.username, password: victim.password },
    });
    expect(res.statusCode).toBe(429);
    expect(res.json().message).toMatch(/too many failed logins/);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'viewer1', password: viewer.password },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('rate-limits login attempts per client address', async () => {
    const app = await buildApp({
      store: cloud.store,
      evaluator: cloud.evaluator,
      auth: { loginRateLimit: { max: 3, windowMs: 60_000 } },
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          (
            await app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              payload: { username: 'viewer1', password: viewer.password },
            })
          ).statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'viewer1', password: viewer.password },
      });
      expect(res.json().error).toBe('too_many_requests');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});

describe('authentication and authorization of /api/v1', () => {
  it('401 without credentials, with a bad bearer token, or a forged cookie', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer ct_nope' },
      { authorization: 'Basic eDp5' },
      { cookie: 'coldtrace_session=forged' },
    ]) {
      const res = await inject({ method: 'GET', url: '/api/v1/gateways', headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json().error).toBe('unauthorized');
    }
    expect((await inject({ method: 'PUT', url: '/api/v1/locations/x', payload: LOCATION })).statusCode).toBe(
      401,
    );
  });

  it('a session may read; a state-changing request needs the CSRF token', async () => {
    const s = await login({ app }, 'admin1', admin.password);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/gateways', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(200);
    const noCsrf = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-a',
      headers: { cookie: s.cookie },
      payload: LOCATION,
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().message).toMatch(/CSRF/);
    const badCsrf = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-a',
      headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(43) },
      payload: LOCATION,
    });
    expect(badCsrf.statusCode).toBe(403);
    const ok = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-a',
      headers: s.headers,
      payload: LOCATION,
    });
    expect(ok.statusCode).toBe(200);
  });

  it('a CSRF token of another session is refused', async () => {
    const a = await login({ app }, 'admin1', admin.password);
    const b = await login({ app }, 'admin1', admin.password);
    const res = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-a',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrfToken },
      payload: LOCATION,
    });
    expect(res.statusCode).toBe(403);
  });

  it('viewers read but cannot write (403); operators write; bearer tokens need no CSRF', async () => {
    const v = await bearer(cloud, ['viewer']);
    expect((await inject({ method: 'GET', url: '/api/v1/locations', headers: v })).statusCode).toBe(200);
    const denied = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-b',
      headers: v,
      payload: LOCATION,
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: 'forbidden' });
    const op = await bearer(cloud, ['operator']);
    expect(
      (await inject({ method: 'PUT', url: '/api/v1/locations/room-b', headers: op, payload: LOCATION }))
        .statusCode,
    ).toBe(200);
    const bad = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-b',
      headers: op,
      payload: { ...LOCATION, minC: 9 },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('unknown /api routes answer 401 before 404 (no route discovery without login)', async () => {
    expect((await inject({ method: 'GET', url: '/api/v1/nope' })).statusCode).toBe(401);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/nope', headers: await bearer(cloud, ['viewer']) }))
        .statusCode,
    ).toBe(404);
  });

  it('GET /auth/me tells who is calling; POST /auth/logout ends the session', async () => {
    const s = await login({ app }, 'qa1', qa.password);
    const me = await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } });
    expect(me.json()).toMatchObject({
      kind: 'session',
      username: 'qa1',
      printedName: 'Quinn Assurance',
      roles: ['qa'],
      csrfToken: s.csrfToken,
    });
    expect(
      (await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: s.cookie } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: s.headers })).statusCode,
    ).toBe(204);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    const t = await inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: await bearer(cloud, ['viewer']),
    });
    expect(t.json()).toMatchObject({ kind: 'token', roles: ['viewer'] });
    expect(t.json().csrfToken).toBeUndefined();
  });
});

describe('security headers', () => {
  it('sends a strict CSP and the usual hardening headers on pages and API', async () => {
    for (const url of ['/login', '/api/v1/auth/status']) {
      const res = await inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeDefined();
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
  });
});

describe('/api/v1/users (admin)', () => {
  let adminH: { authorization: string };
  beforeAll(async () => {
    adminH = await bearer(cloud, ['admin']);
  });

  it('creates, lists, reads and changes users', async () => {
    const res = await inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: adminH,
      payload: {
        username: 'Olga',
        printedName: 'Olga Operator',
        roles: ['operator'],
        password: 'olga password 1',
      },
    });
    expect(res.statusCode).toBe(201);
    const u = res.json();
    expect(u).toMatchObject({
      username: 'olga',
      printedName: 'Olga Operator',
      roles: ['operator'],
      disabled: false,
    });
    const list = (await inject({ method: 'GET', url: '/api/v1/users', headers: adminH })).json();
    expect(list.map((x: { username: string }) => x.username)).toEqual(
      expect.arrayContaining(['olga', 'qa1', 'admin1']),
    );
    expect(JSON.stringify(list)).not.toMatch(/argon2/);
    expect(
      (await inject({ method: 'GET', url: `/api/v1/users/${u.id}`, headers: adminH })).json().username,
    ).toBe('olga');
    const patched = await inject({
      method: 'PATCH',
      url: `/api/v1/users/${u.id}`,
      headers: adminH,
      payload: { roles: ['operator', 'qa'], printedName: 'Olga O.' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ roles: ['operator', 'qa'], printedName: 'Olga O.' });
  });

  it('a disabled user cannot log in and loses open sessions; a password change ends sessions', async () => {
    const u = await createUser(cloud.store, { roles: ['viewer'] });
    const s = await login({ app }, u.username, u.password);
    await inject({
      method: 'PATCH',
      url: `/api/v1/users/${u.user.id}`,
      headers: adminH,
      payload: { disabled: true },
    });
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: u.username, password: u.password },
        })
      ).statusCode,
    ).toBe(401);
    await inject({
      method: 'PATCH',
      url: `/api/v1/users/${u.user.id}`,
      headers: adminH,
      payload: { disabled: false, password: 'brand new password' },
    });
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: u.username, password: 'brand new password' },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('rejects invalid input with 400 and duplicates with 409', async () => {
    const cases = [
      { username: 'weak', roles: ['viewer'], password: 'short' },
      { username: 'norole', roles: [], password: 'long enough password' },
      { username: 'badrole', roles: ['root'], password: 'long enough password' },
      { username: 'has space', roles: ['viewer'], password: 'long enough password' },
      { roles: ['viewer'], password: 'long enough password' },
    ];
    for (const payload of cases) {
      const res = await inject({ method: 'POST', url: '/api/v1/users', headers: adminH, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const dup = await inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: adminH,
      payload: { username: 'QA1', roles: ['viewer'], password: 'long enough password' },
    });
    expect(dup.statusCode).toBe(409);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/users/not-a-uuid', headers: adminH })).statusCode,
    ).toBe(400);
    expect(
      (
        await inject({
          method: 'GET',
          url: '/api/v1/users/00000000-0000-4000-8000-000000000000',
          headers: adminH,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await inject({ method: 'PATCH', url: `/api/v1/users/${qa.user.id}`, headers: adminH, payload: {} }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await inject({
          method: 'PATCH',
          url: `/api/v1/users/${qa.user.id}`,
          headers: adminH,
          payload: { username: 'renamed' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('refuses to remove the last enabled admin', async () => {
    const res = await inject({
      method: 'PATCH',
      url: `/api/v1/users/${admin.user.id}`,
      headers: adminH,
      payload: { roles: ['viewer'] },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/last enabled admin/);
  });

  it('is forbidden to non-admins and closed to anonymous callers', async () => {
    for (const roles of [['viewer'], ['operator'], ['qa']] as const) {
      const h = await bearer(cloud, [...roles]);
      expect((await inject({ method: 'GET', url: '/api/v1/users', headers: h })).statusCode).toBe(403);
      expect(
        (
          await inject({
            method: 'POST',
            url: '/api/v1/users',
            headers: h,
            payload: { username: 'x1', roles: ['admin'], password: 'long enough password' },
          })
        ).statusCode,
      ).toBe(403);
      expect(
        (
          await inject({
            method: 'PATCH',
            url: `/api/v1/users/${admin.user.id}`,
            headers: h,
            payload: { disabled: true },
          })
        ).statusCode,
      ).toBe(403);
    }
    expect((await inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });
});

describe('/api/v1/auth/tokens and /auth/password', () => {
  it('an admin issues a token shown once, it authenticates, and revoking it ends it', async () => {
    const s = await login({ app }, 'admin1', admin.password);
    const res = await inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: s.headers,
      payload: { name: 'erp', roles: ['admin'] },
    });
    expect(res.statusCode).toBe(201);
    const { id, token } = res.json();
    expect(token).toMatch(/^ct_/);
    const h = { authorization: `Bearer ${token}` };
    expect((await inject({ method: 'GET', url: '/api/v1/users', headers: h })).statusCode).toBe(200);
    const list = (await inject({ method: 'GET', url: '/api/v1/auth/tokens', headers: s.headers })).json();
    expect(list.find((t: { id: string }) => t.id === id)).toMatchObject({ name: 'erp', revoked: false });
    expect(JSON.stringify(list)).not.toContain(token);
    expect(
      (await inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${id}`, headers: s.headers })).statusCode,
    ).toBe(204);
    expect((await inject({ method: 'GET', url: '/api/v1/users', headers: h })).statusCode).toBe(401);
    expect(
      (await inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${id}`, headers: s.headers })).statusCode,
    ).toBe(404);
  });

  it('cannot grant roles the admin lacks; invalid bodies are 400; non-admins 403', async () => {
    const s = await login({ app }, 'admin1', admin.password);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/tokens',
          headers: s.headers,
          payload: { name: 'x', roles: ['qa'] },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/tokens',
          headers: s.headers,
          payload: { name: '', roles: ['admin'] },
        })
      ).statusCode,
    ).toBe(400);
    const v = await login({ app }, 'viewer1', viewer.password);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/tokens',
          headers: v.headers,
          payload: { name: 'x', roles: ['viewer'] },
        })
      ).statusCode,
    ).toBe(403);
    expect((await inject({ method: 'GET', url: '/api/v1/auth/tokens' })).statusCode).toBe(401);
  });

  it('a user changes their own password after re-entering the current one', async () => {
    const u = await createUser(cloud.store, { roles: ['viewer'] });
    const s = await login({ app }, u.username, u.password);
    const wrong = await inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: s.headers,
      payload: { currentPassword: 'wrong wrong', newPassword: 'a new password' },
    });
    expect(wrong.statusCode).toBe(401);
    const weak = await inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: s.headers,
      payload: { currentPassword: u.password, newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    const ok = await inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: s.headers,
      payload: { currentPassword: u.password, newPassword: 'a new password' },
    });
    expect(ok.statusCode).toBe(204);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    await login({ app }, u.username, 'a new password');
    expect(
      (
        await inject({
          method: 'PUT',
          url: '/api/v1/auth/password',
          payload: { currentPassword: 'x', newPassword: 'y' },
        })
      ).statusCode,
    ).toBe(401);
  });
});

describe('pages', () => {
  it('redirect to /login without a session and serve HTML with one', async () => {
    const res = await inject({ method: 'GET', url: '/excursions?state=open' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fexcursions%3Fstate%3Dopen');
    const s = await login({ app }, 'viewer1', viewer.password);
    for (const url of [
      '/',
      '/excursions',
      '/excursions/x@1',
      '/lots',
      '/lots/l1',
      '/scans',
      '/gateways',
      '/audit',
    ]) {
      const page = await inject({ method: 'GET', url, headers: { cookie: s.cookie } });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.body).toMatch(/<script type="module" src="\/static\/page-[a-z]+\.js"><\/script>/);
      expect(page.body).not.toMatch(/<script>|<script type="module">|style=/);
    }
    expect((await inject({ method: 'GET', url: '/login' })).statusCode).toBe(200);
  });

  it('serves only the named static files', async () => {
    const js = await inject({ method: 'GET', url: '/static/chart.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/text\/javascript/);
    for (const url of ['/static/..%2Fpages.ts', '/static/nope.js', '/static/%2e%2e%2fpages.ts'])
      expect((await inject({ method: 'GET', url })).statusCode, url).toBe(404);
  });
});
