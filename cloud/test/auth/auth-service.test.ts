import { ColdtraceError, manualClock } from '@coldtrace/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfigSchema } from '../../src/auth/auth-config.js';
import { AuthService, csrfMatches } from '../../src/auth/auth-service.js';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { decodeRoles, encodeRoles, hasAnyRole, ROLES } from '../../src/auth/roles.js';
import { createSignatureVerifier } from '../../src/auth/signature-verifier.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';

// The service's wall clock, moved by the tests (lockout windows, session limits).
const clock = manualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
let store: CloudStore;
let auth: AuthService;

beforeAll(async () => {
  store = new CloudStore(await openDatabase('sqlite::memory:'));
  auth = new AuthService(store.db, authConfigSchema.parse({}), clock);
  await auth.users.createUser(
    { username: 'Alice', printedName: 'Alice QA', roles: ['qa'], password: 'correct horse battery' },
    clock.now(),
  );
});
afterAll(async () => store?.close());

describe('passwords', () => {
  it('stores argon2id PHC strings and verifies only the right password', async () => {
    const row = await auth.users.findByUsername('alice');
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(row!.password_hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(row!.password_hash, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password')); // salted
  });

  it('refuses weak passwords and bad usernames with clear errors', async () => {
    await expect(
      auth.users.createUser({ username: 'bob', roles: ['viewer'], password: 'short' }, clock.now()),
    ).rejects.toThrow(/at least 10 characters/);
    await expect(
      auth.users.createUser(
        { username: 'bobbobbobbob', roles: ['viewer'], password: 'BobBobBobBob' },
        clock.now(),
      ),
    ).rejects.toThrow(/must not equal the username/);
    await expect(
      auth.users.createUser({ username: 'x y', roles: ['viewer'], password: 'long enough pw' }, clock.now()),
    ).rejects.toThrow(/username/);
    await expect(
      auth.users.createUser(
        { username: 'ALICE', roles: ['viewer'], password: 'long enough pw' },
        clock.now(),
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      auth.users.createUser({ username: 'carol', roles: [], password: 'long enough pw' }, clock.now()),
    ).rejects.toThrow(/role/);
  });
});

describe('roles', () => {
  it('encode/decode round-trips any subset and drops unknown names', () => {
    fc.assert(
      fc.property(fc.subarray([...ROLES]), fc.array(fc.string()), (roles, junk) => {
        expect(decodeRoles(encodeRoles([...roles, ...junk.filter((j) => !j.includes(','))]))).toEqual(roles);
      }),
    );
  });
  it('hasAnyRole needs an intersection', () => {
    expect(hasAnyRole(['viewer'], ['qa', 'admin'])).toBe(false);
    expect(hasAnyRole(['viewer', 'qa'], ['qa', 'admin'])).toBe(true);
  });
});

describe('login lockout and backoff', () => {
  it('locks a username after 10 failures, doubles the lock, and a success resets the count', async () => {
    for (let i = 0; i < 9; i++) expect(await auth.checkPassword('alice', `wrong-${i}`)).toBeNull();
    expect(await auth.checkPassword('alice', 'correct horse battery')).not.toBeNull(); // 9 failures: open
    for (let i = 0; i < 9; i++) expect(await auth.checkPassword('alice', `wrong-${i}`)).toBeNull();
    expect(await auth.checkPassword('alice', 'wrong-9')).toBeNull(); // 10th failure: locked 30 s
    await expect(auth.checkPassword('alice', 'correct horse battery')).rejects.toMatchObject({
      code: 'too_many_requests',
    });
    clock.advance(31_000);
    expect(await auth.checkPassword('alice', 'wrong-10')).toBeNull(); // 11th: locked 60 s
    clock.advance(31_000);
    await expect(auth.checkPassword('alice', 'correct horse battery')).rejects.toBeInstanceOf(ColdtraceError);
    clock.advance(30_000);
    expect((await auth.checkPassword('alice', 'correct horse battery'))?.username).toBe('alice');
    expect(await auth.users.getFailures('alice')).toBeUndefined();
  });

  it('treats unknown usernames the same (no enumeration through the lockout)', async () => {
    for (let i = 0; i < 10; i++) expect(await auth.checkPassword('nobody', 'whatever-pass')).toBeNull();
    await expect(auth.checkPassword('nobody', 'whatever-pass')).rejects.toMatchObject({
      code: 'too_many_requests',
    });
    clock.advance(60_000);
  });

  it('login gives the same message for a wrong password and an unknown user', async () => {
    const a = await auth.login('alice', 'nope-nope-nope').catch((e: Error) => e.message);
    const b = await auth.login('zed', 'nope-nope-nope').catch((e: Error) => e.message);
    expect(a).toBe('invalid username or password');
    expect(b).toBe(a);
  });
});

describe('sessions', () => {
  it('expire after the idle time and the absolute lifetime', async () => {
    const s = await auth.login('alice', 'correct horse battery');
    expect((await auth.sessionPrincipal(s.sessionId))?.csrfToken).toBe(s.csrfToken);
    clock.advance(29 * 60_000);
    expect(await auth.sessionPrincipal(s.sessionId)).not.toBeNull(); // touches it
    clock.advance(29 * 60_000);
    expect(await auth.sessionPrincipal(s.sessionId)).not.toBeNull();
    clock.advance(31 * 60_000);
    expect(await auth.sessionPrincipal(s.sessionId)).toBeNull(); // idle > 30 min
    const t = await auth.login('alice', 'correct horse battery');
    for (let i = 0; i < 25; i++) {
      clock.advance(29 * 60_000);
      if (!(await auth.sessionPrincipal(t.sessionId))) break;
    }
    expect(await auth.sessionPrincipal(t.sessionId)).toBeNull(); // 12 h lifetime
    expect(await auth.sessionPrincipal('forged')).toBeNull();
  });

  it('CSRF comparison is exact', () => {
    expect(csrfMatches('abc', 'abc')).toBe(true);
    expect(csrfMatches('abc', 'abd')).toBe(false);
    expect(csrfMatches('abc', 'ab')).toBe(false);
    expect(csrfMatches('abc', undefined)).toBe(false);
  });
});

describe('signature verifier (21 CFR 11.200)', () => {
  it('returns the signer for the right password, null otherwise, and counts toward lockout', async () => {
    const verify = createSignatureVerifier(store, { clock });
    const ok = await verify('ALICE', 'correct horse battery');
    expect(ok).toMatchObject({ username: 'alice', printedName: 'Alice QA', roles: ['qa'] });
    expect(typeof ok!.userId).toBe('string');
    expect(await verify('alice', 'wrong password')).toBeNull();
    expect(await verify('nobody-at-all', 'wrong password')).toBeNull();
    expect((await auth.users.getFailures('alice'))?.failures).toBe(1);
    for (let i = 0; i < 9; i++) await verify('alice', 'wrong password');
    expect(await verify('alice', 'correct horse battery')).toBeNull(); // locked: cannot sign
    clock.advance(20 * 60_000);
    expect(await verify('alice', 'correct horse battery')).not.toBeNull();
  });

  it('a disabled user cannot sign', async () => {
    const u = await auth.users.createUser(
      { username: 'eve', roles: ['qa'], password: 'eve password 1' },
      clock.now(),
    );
    await auth.users.updateUser(u.id, { disabled: true }, clock.now());
    expect(await createSignatureVerifier(store.db, { clock })('eve', 'eve password 1')).toBeNull();
  });
});

describe('createDemoUser', () => {
  it('creates a user with a random password once, then leaves it alone', async () => {
    const { createDemoUser } = await import('../../src/auth/demo-users.js');
    const first = await createDemoUser(
      store,
      { username: 'demo-qa', printedName: 'Demo QA', roles: ['qa'] },
      clock.now(),
    );
    expect(first?.password).toMatch(/^demo-[\w-]{12}$/);
    expect((await auth.checkPassword('demo-qa', first!.password))?.roles).toEqual(['qa']);
    expect(
      await createDemoUser(store, { username: 'demo-qa', printedName: 'x', roles: ['viewer'] }, clock.now()),
    ).toBeNull();
  });
});
