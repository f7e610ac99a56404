import { afterEach, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/auth/user-store.js';
import { createUser, login } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 600_000, criticalMarginC: 5, maxGapMs: 1_800_000 };

/**
 * 21 CFR 11.300(d), 11.200(a)(2): an e-signature is accepted only from its owner, and an attempt to sign
 * as someone else must not spend that person's attempts (it would let anyone holding a token lock a QA user
 * out of signing and logging in).
 */
describe('an e-signature naming another user', () => {
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await cloud?.stop();
    cloud = undefined;
  });

  it('is refused before the password is tried: through a user token, the named user keeps every attempt', async () => {
    cloud = await startTestCloud();
    const x = await createUser(cloud.store, { roles: ['qa'] });
    const y = await createUser(cloud.store, { roles: ['qa'] });
    const admin = await createUser(cloud.store, { roles: ['admin'] });
    await cloud.app.inject({
      method: 'PUT',
      url: '/api/v1/locations/room-1',
      payload: { name: 'Room 1', kind: 'room', ...LIMITS },
      headers: (await login(cloud, admin.username, admin.password)).headers,
    });
    // X's own integration token (tied to X), as an integration would hold it.
    const { token } = await new UserStore(cloud.store.db).createToken(
      { name: 'x-integration', roles: ['qa'], userId: x.user.id },
      Date.now(),
    );
    const sign = (username: string, password: string) =>
      cloud!.app.inject({
        method: 'PUT',
        url: '/api/v1/locations/room-1/limits',
        payload: { ...LIMITS, maxC: 9, reason: 'mapping study', username, password },
        headers: { authorization: `Bearer ${token}` },
      });
    // Precondition: the token can sign as its own user (a wrong password is a 401, a right one changes the limits).
    expect((await sign(x.username, 'wrong-password-1')).statusCode).toBe(401);
    expect((await sign(x.username, x.password)).statusCode).toBe(200);
    // Twelve tries at Y's password, more than the lockout's 10: each refused as someone else's signature.
    for (let i = 0; i < 12; i++) {
      const res = await sign(y.username, `guess-${i}`);
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/only by its owner/);
    }
    // Y was never locked out: Y still logs in.
    await expect(login(cloud, y.username, y.password)).resolves.toMatchObject({
      csrfToken: expect.any(String),
    });
  });
});
