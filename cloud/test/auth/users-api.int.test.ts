import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login } from '../helpers/auth.js';
import { useAuthApi } from './auth-api-fixture.js';

// The user administration endpoints (routes/users.ts); login and sessions: auth-api.int.test.ts.

const api = useAuthApi();
const inject = (o: InjectOptions) => api.app.inject(o);

describe('/api/v1/users (admin)', () => {
  let adminH: { authorization: string };
  beforeAll(async () => {
    adminH = await bearer(api.cloud, ['admin']);
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
    const u = await createUser(api.cloud.store, { roles: ['viewer'] });
    const s = await login(api, u.username, u.password);
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
      (
        await inject({
          method: 'PATCH',
          url: `/api/v1/users/${api.qa.user.id}`,
          headers: adminH,
          payload: {},
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await inject({
          method: 'PATCH',
          url: `/api/v1/users/${api.qa.user.id}`,
          headers: adminH,
          payload: { username: 'renamed' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('refuses to remove the last enabled admin', async () => {
    const res = await inject({
      method: 'PATCH',
      url: `/api/v1/users/${api.admin.user.id}`,
      headers: adminH,
      payload: { roles: ['viewer'] },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/last enabled admin/);
  });

  it('is forbidden to non-admins and closed to anonymous callers', async () => {
    for (const roles of [['viewer'], ['operator'], ['qa']] as const) {
      const h = await bearer(api.cloud, [...roles]);
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
            url: `/api/v1/users/${api.admin.user.id}`,
            headers: h,
            payload: { disabled: true },
          })
        ).statusCode,
      ).toBe(403);
    }
    expect((await inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });
});
