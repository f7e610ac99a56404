import { randomUUID } from 'node:crypto';
import { ADMIN, ANY, badUuid, type RouteSpec } from './access-rules.js';

/** Access rules and inputs of the auth and user routes: login, sessions, tokens, passwords, users. */
export const AUTH_ROUTES: Record<string, RouteSpec> = {
  // ---- auth: login and first-run status are open; tokens admin only --------------------------------------
  'POST /api/v1/auth/login': {
    access: 'open',
    valid: (f) => ({ url: '/api/v1/auth/login', payload: f.loginUser }),
    invalid: () => [
      {
        what: 'missing password',
        url: '/api/v1/auth/login',
        payload: { username: 'someone' },
        field: 'password',
      },
      {
        what: 'username of the wrong type',
        url: '/api/v1/auth/login',
        payload: { username: 7, password: 'x' },
        field: 'username',
      },
      {
        what: 'unknown key',
        url: '/api/v1/auth/login',
        payload: { username: 'nobody-here', password: 'x', remember: true },
        field: 'remember',
      },
    ],
  },
  'GET /api/v1/auth/status': { access: 'open' },
  'POST /api/v1/auth/logout': { access: ANY, noBody: true },
  'GET /api/v1/auth/me': { access: ANY },
  'PUT /api/v1/auth/password': {
    access: ANY,
    sessionOnly: true,
    // The suite fills in the session user's own passwords.
    invalid: () => [
      {
        what: 'missing newPassword',
        url: '/api/v1/auth/password',
        payload: { currentPassword: 'x' },
        field: 'newPassword',
      },
      {
        what: 'currentPassword of the wrong type',
        url: '/api/v1/auth/password',
        payload: { currentPassword: 5, newPassword: 'long-enough-1' },
        field: 'currentPassword',
      },
      {
        what: 'unknown key',
        url: '/api/v1/auth/password',
        payload: { currentPassword: 'x', newPassword: 'long-enough-1', confirm: 'long-enough-1' },
        field: 'confirm',
      },
    ],
  },
  'GET /api/v1/auth/tokens': { access: ADMIN },
  'POST /api/v1/auth/tokens': {
    access: ADMIN,
    // Only roles the caller holds may be granted (the callers here hold admin).
    valid: (f) => ({ url: '/api/v1/auth/tokens', payload: { name: `t-${f.uniq()}`, roles: ['admin'] } }),
    invalid: () => [
      { what: 'missing roles', url: '/api/v1/auth/tokens', payload: { name: 'ci' }, field: 'roles' },
      {
        what: 'unknown role',
        url: '/api/v1/auth/tokens',
        payload: { name: 'ci', roles: ['root'] },
        field: 'roles',
      },
      {
        what: 'name of the wrong type',
        url: '/api/v1/auth/tokens',
        payload: { name: 5, roles: ['viewer'] },
        field: 'name',
      },
      {
        what: 'unknown key',
        url: '/api/v1/auth/tokens',
        payload: { name: 'ci', roles: ['viewer'], expiresInDays: 30 },
        field: 'expiresInDays',
      },
    ],
  },
  'DELETE /api/v1/auth/tokens/:id': {
    access: ADMIN,
    noBody: true,
    valid: () => ({ url: `/api/v1/auth/tokens/${randomUUID()}` }),
    invalid: () => badUuid((id) => `/api/v1/auth/tokens/${id}`),
    unknown: () => [{ what: 'unknown token', url: `/api/v1/auth/tokens/${randomUUID()}`, status: 404 }],
  },

  // ---- users: admin only ------------------------------------------------------------------------------------
  'GET /api/v1/users': { access: ADMIN },
  'POST /api/v1/users': {
    access: ADMIN,
    valid: (f) => ({
      url: '/api/v1/users',
      payload: { username: `u-${f.uniq()}`, roles: ['viewer'], password: 'long-enough-password-1' },
    }),
    invalid: () => [
      {
        what: 'missing password',
        url: '/api/v1/users',
        payload: { username: 'newbie', roles: ['viewer'] },
        field: 'password',
      },
      {
        what: 'roles as a string',
        url: '/api/v1/users',
        payload: { username: 'newbie', roles: 'admin', password: 'long-enough-password-1' },
        field: 'roles',
      },
      {
        what: 'username too short',
        url: '/api/v1/users',
        payload: { username: 'a', roles: ['viewer'], password: 'long-enough-password-1' },
        field: 'username',
      },
      {
        what: 'unknown key',
        url: '/api/v1/users',
        payload: {
          username: 'newbie2',
          roles: ['viewer'],
          password: 'long-enough-password-1',
          role: 'admin',
        },
        field: 'role',
      },
    ],
  },
  'GET /api/v1/users/:id': {
    access: ADMIN,
    valid: (f) => ({ url: `/api/v1/users/${f.userId}` }),
    invalid: () => badUuid((id) => `/api/v1/users/${id}`),
    unknown: () => [{ what: 'unknown user', url: `/api/v1/users/${randomUUID()}`, status: 404 }],
  },
  'POST /api/v1/users/:id/unlock': {
    access: ADMIN,
    valid: (f) => ({ url: `/api/v1/users/${f.userId}/unlock`, payload: { reason: 'locked by a typo' } }),
    invalid: (f) => [
      ...badUuid((id) => `/api/v1/users/${id}/unlock`),
      {
        what: 'empty reason',
        url: `/api/v1/users/${f.userId}/unlock`,
        payload: { reason: ' ' },
        field: 'reason',
      },
    ],
    unknown: () => [
      { what: 'unknown user', url: `/api/v1/users/${randomUUID()}/unlock`, payload: {}, status: 404 },
    ],
  },
  'PATCH /api/v1/users/:id': {
    access: ADMIN,
    valid: (f) => ({ url: `/api/v1/users/${f.userId}`, payload: { printedName: `Name ${f.uniq()}` } }),
    invalid: (f) => [
      ...badUuid((id) => `/api/v1/users/${id}`, { printedName: 'X' }),
      { what: 'empty body', url: `/api/v1/users/${f.userId}`, payload: {}, field: 'nothing to change' },
      {
        what: 'disabled of the wrong type',
        url: `/api/v1/users/${f.userId}`,
        payload: { disabled: 'yes' },
        field: 'disabled',
      },
      {
        what: 'unknown key',
        url: `/api/v1/users/${f.userId}`,
        payload: { rolez: ['admin'] },
        field: 'rolez',
      },
    ],
    unknown: () => [
      {
        what: 'unknown user',
        url: `/api/v1/users/${randomUUID()}`,
        payload: { printedName: 'X' },
        status: 404,
      },
    ],
  },
};
