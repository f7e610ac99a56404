import { timingSafeEqual } from 'node:crypto';
import { type Clock, ColdtraceError, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AuthConfig } from './auth-config.js';
import { burnVerify, verifyPassword } from './passwords.js';
import { decodeRoles, type Principal } from './roles.js';
import { normalizeUsername, type User, UserStore, userOf } from './user-store.js';

/** The one message for every failed login: never says whether the username exists. */
export const BAD_LOGIN = 'invalid username or password';

/**
 * Login, lockout, sessions and bearer tokens. Failures are counted per username (known or not, so the
 * lockout reveals nothing) in the database, so several cloud processes share them.
 */
export class AuthService {
  readonly users: UserStore;
  /**
   * `clock` is the wall clock: idle and absolute session limits, lockouts, and the times of user and
   * token changes are real time whatever the data clock does (docs/architecture.md "Time").
   */
  constructor(
    db: Kysely<Database>,
    readonly config: AuthConfig,
    readonly clock: Clock = systemClock,
  ) {
    this.users = new UserStore(db);
  }

  /**
   * Checks a username and password, counting failures toward the lockout. Returns the user, null when
   * wrong (or disabled), or throws `too_many_requests` while the username is locked.
   */
  async checkPassword(username: string, password: string): Promise<User | null> {
    const key = normalizeUsername(username);
    const now = this.clock.now();
    const failures = await this.users.getFailures(key);
    if (failures && failures.locked_until > now) {
      const seconds = Math.ceil((failures.locked_until - now) / 1000);
      throw new ColdtraceError('too_many_requests', `too many failed logins; try again in ${seconds} s`, {
        retryAfterS: seconds,
      });
    }
    const row = key ? await this.users.findByUsername(key) : undefined;
    let ok = false;
    if (row) ok = (await verifyPassword(row.password_hash, password)) && row.disabled === 0;
    else await burnVerify(password);
    if (!ok) {
      const { maxFailures, baseLockMs, maxLockMs } = this.config.lockout;
      await this.users.recordFailure(key || '(empty)', now, (n) =>
        n < maxFailures ? 0 : now + Math.min(maxLockMs, baseLockMs * 2 ** (n - maxFailures)),
      );
      return null;
    }
    if (failures) await this.users.clearFailures(key);
    return userOf(row!);
  }

  /** Password login for the pages: a new session (cookie value + CSRF token). */
  async login(username: string, password: string) {
    const user = await this.checkPassword(username, password);
    if (!user) throw new ColdtraceError('unauthorized', BAD_LOGIN);
    const now = this.clock.now();
    const session = await this.users.createSession(user.id, now, this.config.sessionTtlMs);
    return {
      user,
      sessionId: session.id,
      csrfToken: session.csrfToken,
      expiresAt: now + this.config.sessionTtlMs,
    };
  }

  async logout(sessionId: string): Promise<void> {
    await this.users.deleteSession(sessionId);
  }

  /** The principal of a session cookie, or null when unknown, expired, idle too long or the user is disabled. */
  async sessionPrincipal(sessionId: string): Promise<Principal | null> {
    if (!sessionId || sessionId.length > 128) return null;
    const s = await this.users.getSession(sessionId);
    if (!s) return null;
    const now = this.clock.now();
    if (s.expires_at <= now || s.last_seen_at + this.config.sessionIdleMs <= now) {
      await this.users.deleteSession(sessionId);
      return null;
    }
    const u = await this.users.getUser(s.user_id);
    if (!u || u.disabled) return null;
    // Write the sliding idle mark at most once a minute.
    if (now - s.last_seen_at > 60_000) await this.users.touchSession(sessionId, now);
    return {
      kind: 'session',
      userId: u.id,
      username: u.username,
      printedName: u.printed_name,
      roles: decodeRoles(u.roles),
      csrfToken: s.csrf_token,
    };
  }

  /** The principal of a bearer token, or null. A token made by a user dies with that user's account. */
  async tokenPrincipal(token: string): Promise<Principal | null> {
    if (!token.startsWith('ct_') || token.length > 128) return null;
    const t = await this.users.findToken(token);
    if (!t) return null;
    let roles = decodeRoles(t.roles);
    if (t.user_id) {
      const u = await this.users.getUser(t.user_id);
      if (!u || u.disabled) return null;
      // A token never holds more than its creator holds now.
      const userRoles = decodeRoles(u.roles);
      roles = roles.filter((r) => userRoles.includes(r));
      if (!roles.length) return null;
    }
    const now = this.clock.now();
    if (t.last_used_at === null || now - t.last_used_at > 60_000) await this.users.touchToken(t.id, now);
    return {
      kind: 'token',
      userId: t.user_id,
      username: `token:${t.name}`,
      printedName: t.name,
      roles,
      tokenId: t.id,
    };
  }
}

/** Constant-time comparison of the CSRF header with the session's synchronizer token. */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
