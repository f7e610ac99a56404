import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createUser, login } from '../helpers/auth.js';
import { useAuthApi } from './auth-api-fixture.js';

// API tokens and password changes (routes/auth.ts); login and sessions: auth-api.int.test.ts.

const api = useAuthApi();
const inject = (o: InjectOptions) => api.app.inject(o);

describe('/api/v1/auth/tokens and /auth/password', () => {
  it('an admin issues a token shown once, it authenticates, and revoking it ends it', async () => {
    const s = await login(api, 'admin1', api.admin.password);
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
    const s = await login(api, 'admin1', api.admin.password);
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
    const v = await login(api, 'viewer1', api.viewer.password);
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
    const u = await createUser(api.cloud.store, { roles: ['viewer'] });
    const s = await login(api, u.username, u.password);
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
    await login(api, u.username, 'a new password');
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
