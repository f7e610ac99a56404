import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/auth/roles.js';
import { type User, UserStore } from '../../src/auth/user-store.js';
import type { CloudStore } from '../../src/store/cloud-store.js';

export interface TestUser {
  user: User;
  username: string;
  password: string;
}

let n = 0;

/** Creates a user with a random password (argon2id-hashed like any other). */
export async function createUser(
  store: CloudStore,
  opts: { roles: Role[]; username?: string; printedName?: string; password?: string },
): Promise<TestUser> {
  n += 1;
  const username = opts.username ?? `${opts.roles.join('-')}-${n}-${randomBytes(3).toString('hex')}`;
  const password = opts.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const user = await new UserStore(store.db).createUser(
    { username, printedName: opts.printedName ?? `Test ${username}`, roles: opts.roles, password },
    Date.now(),
  );
  return { user, username: user.username, password };
}

/** `{ authorization: 'Bearer …' }` for an integration token holding `roles` (no CSRF needed). */
export async function bearer(
  cloud: { store: CloudStore },
  roles: Role[] = ['admin'],
): Promise<{ authorization: string }> {
  const { token } = await new UserStore(cloud.store.db).createToken(
    { name: `test-${roles.join('-')}`, roles, userId: null },
    Date.now(),
  );
  return { authorization: `Bearer ${token}` };
}

export interface Session {
  cookie: string;
  csrfToken: string;
  /** Headers for a state-changing request with the session: cookie + CSRF token. */
  headers: { cookie: string; 'x-csrf-token': string };
}

/** Logs in through the API (inject) and returns the session cookie and CSRF token. */
export async function login(
  cloud: {
    app: {
      inject: (
        o: object,
      ) => Promise<{ statusCode: number; body: string; cookies: Array<{ name: string; value: string }> }>;
    };
  },
  username: string,
  password: string,
): Promise<Session> {
  const res = await cloud.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const c = res.cookies.find((x) => x.name === 'coldtrace_session');
  if (!c) throw new Error('login set no session cookie');
  const csrfToken = (JSON.parse(res.body) as { csrfToken: string }).csrfToken;
  const cookie = `coldtrace_session=${c.value}`;
  return { cookie, csrfToken, headers: { cookie, 'x-csrf-token': csrfToken } };
}
