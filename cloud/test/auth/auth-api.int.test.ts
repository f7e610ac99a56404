import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/build-app.js';
import { bearer, createUser, login } from '../helpers/auth.js';
import { useAuthApi } from './auth-api-fixture.js';

const LOCATION = {
  name: 'Cold room',
  kind: 'room',
  minC: 2,
  maxC: 8,
  alarmDelayMs: 600_000,
  criticalMarginC: 5,
  maxGapMs: 300_000,
};

const api = useAuthApi();
const inject = (o: InjectOptions) => api.app.inject(o);

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
      payload: { username: 'QA1', password: api.qa.password },
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
    const victim = await createUser(api.cloud.store, { roles: ['viewer'] });
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
          payload: { username: 'viewer1', password: api.viewer.password },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('rate-limits login attempts per client address', async () => {
    const app = await buildApp({
      store: api.cloud.store,
      evaluator: api.cloud.evaluator,
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
              payload: { username: 'viewer1', password: api.viewer.password },
            })
          ).statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'viewer1', password: api.viewer.password },
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
    const s = await login(api, 'admin1', api.admin.password);
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
    const a = await login(api, 'admin1', api.admin.password);
    const b = await login(api, 'admin1', api.admin.password);
    const res = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-a',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrfToken },
      payload: LOCATION,
    });
    expect(res.statusCode).toBe(403);
  });

  it('viewers read but cannot write (403); operators write; bearer tokens need no CSRF', async () => {
    const v = await bearer(api.cloud, ['viewer']);
    expect((await inject({ method: 'GET', url: '/api/v1/locations', headers: v })).statusCode).toBe(200);
    const denied = await inject({
      method: 'PUT',
      url: '/api/v1/locations/room-b',
      headers: v,
      payload: LOCATION,
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: 'forbidden' });
    const op = await bearer(api.cloud, ['operator']);
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
      (await inject({ method: 'GET', url: '/api/v1/nope', headers: await bearer(api.cloud, ['viewer']) }))
        .statusCode,
    ).toBe(404);
  });

  it('GET /auth/me tells who is calling; POST /auth/logout ends the session', async () => {
    const s = await login(api, 'qa1', api.qa.password);
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
      headers: await bearer(api.cloud, ['viewer']),
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

describe('pages', () => {
  it('redirect to /login without a session and serve HTML with one', async () => {
    const res = await inject({ method: 'GET', url: '/excursions?state=open' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fexcursions%3Fstate%3Dopen');
    const s = await login(api, 'viewer1', api.viewer.password);
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
