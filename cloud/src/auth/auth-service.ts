import { timingSafeEqual } from 'node:crypto';
import { type Clock, ColdtraceError, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { type SecurityEvent, SecurityEvents } from '../security/security-events.js';
import type { Database } from '../store/schema.js';
import type { AuthConfig } from './auth-config.js';
import { burnVerify, verifyPassword } from './passwords.js';
import { decodeRoles, type Principal } from './roles.js';
import { normalizeUsername, type User, UserStore, userOf } from './user-store.js';

/** The one message for every failed login: never says whether the username exists. */
export const BAD_LOGIN = 'invalid username or password';

/** Why a password is checked: a login (pages, API), a re-entered e-signature, or a password change. */
export type PasswordPurpose = 'login' | 'signature' | 'password_change';

export interface PasswordAttempt {
  purpose?: PasswordPurpose;
  /** The client address; when given, failures from it are throttled before the account locks. */
  source?: string | undefined;
}

/**
 * The login_failures key of one client address trying one username. Usernames cannot contain '@' or a
 * space, so these keys never collide with a username's. Per address *and* username: colleagues behind
 * the same NAT are not throttled by one person's typos or by an attacker aiming at someone else.
 */
export function sourceKey(source: string, username: string): string {
  return `@${source} ${username}`;
}

/**
 * Login, lockout, sessions and bearer tokens. Failures are counted per username (known or not, so the
 * lockout reveals nothing) and per client address in the database, so several cloud processes share them.
 */
export class AuthService {
  readonly users: UserStore;
  readonly security: SecurityEvents;
  /**
   * `clock` is the wall clock: idle and absolute session limits, lockouts, and the times of user and
   * token changes are real time whatever the data clock does (docs/architecture.md "Time").
   * `security` records failed logins, lockouts and failed signatures (default: audit trail only, no metrics).
   */
  constructor(
    readonly db: Kysely<Database>,
    readonly config: AuthConfig,
    readonly clock: Clock = systemClock,
    security?: SecurityEvents,
  ) {
    this.users = new UserStore(db);
    this.security = security ?? new SecurityEvents(db, { clock });
  }

  /**
   * Checks a username and password. A source that failed too often is refused first (`too_many_requests`,
   * not counted toward the account); then a locked username (`too_many_requests`). A wrong password (or a
   * disabled user) returns null and counts toward both. Every refusal is a security event.
   */
  async checkPassword(
    username: string,
    password: string,
    attempt: PasswordAttempt = {},
  ): Promise<User | null> {
    const purpose = attempt.purpose ?? 'login';
    const source = attempt.source;
    const key = normalizeUsername(username);
    const actor = key || '(empty)';
    const now = this.clock.now();
    const event = (e: Omit<SecurityEvent, 'actor' | 'subject' | 'source' | 'details'>, details = {}) =>
      this.security.record({ ...e, actor, subject: actor, source, details: { purpose, ...details } });
    const bySource = source ? await this.users.getFailures(sourceKey(source, actor)) : undefined;
    if (bySource && bySource.locked_until > now) {
      const seconds = Math.ceil((bySource.locked_until - now) / 1000);
      await event({
        event: 'login_throttled',
        code: 'too_many_requests',
        reason: `${purpose} as ${actor} from ${source} refused: too many failures from this address`,
      });
      throw new ColdtraceError(
        'too_many_requests',
        `too many failed logins from this address; try again in ${seconds} s`,
        { retryAfterS: seconds },
      );
    }
    const failures = await this.users.getFailures(key);
    if (failures && failures.locked_until > now) {
      const seconds = Math.ceil((failures.locked_until - now) / 1000);
      await event({
        event: purpose === 'signature' ? 'signature_refused' : 'login_failed',
        code: 'too_many_requests',
        reason: `${purpose} as ${actor} refused: the account is locked`,
      });
      throw new ColdtraceError('too_many_requests', `too many failed logins; try again in ${seconds} s`, {
        retryAfterS: seconds,
      });
    }
    const row = key ? await this.users.findByUsername(key) : undefined;
    let ok = false;
    if (row) ok = (await verifyPassword(row.password_hash, password)) && row.disabled === 0;
    else await burnVerify(password);
    if (!ok) {
      await this.recordFailure(actor, source, now, purpose, event);
      return null;
    }
    if (failures) await this.users.clearFailures(key);
    if (bySource && source) await this.users.clearFailures(sourceKey(source, key));
    return userOf(row!);
  }

  /**
   * Counts a failure toward the source's throttle, and toward the account's lockout while the source is
   * below its own limit: one address alone never brings the account to its lock (each with growing backoff).
   */
  private async recordFailure(
    key: string,
    source: string | undefined,
    now: number,
    purpose: PasswordPurpose,
    event: (e: Omit<SecurityEvent, 'actor' | 'subject' | 'source' | 'details'>, d?: object) => Promise<void>,
  ): Promise<void> {
    const lock = (max: number, base: number, cap: number) => (n: number) =>
      n < max ? 0 : now + Math.min(cap, base * 2 ** (n - max));
    const { maxFailures, baseLockMs, maxLockMs, windowMs } = this.config.lockout;
    const t = this.config.sourceThrottle;
    const bySource = source
      ? await this.users.recordFailure(
          sourceKey(source, key),
          now,
          lock(t.maxFailures, t.baseLockMs, t.maxLockMs),
          windowMs,
        )
      : undefined;
    const counts = !bySource || bySource.failures <= t.maxFailures;
    const account = counts
      ? await this.users.recordFailure(key, now, lock(maxFailures, baseLockMs, maxLockMs), windowMs)
      : await this.users.getFailures(key);
    await event(
      {
        event: purpose === 'signature' ? 'signature_failed' : 'login_failed',
        code: 'unauthorized',
        reason: `${purpose} as ${key} failed: wrong username or password`,
      },
      { failures: account?.failures ?? 0, sourceFailures: bySource?.failures ?? null },
    );
    if (counts && account && account.locked_until > 0)
      await event(
        {
          event: 'account_locked',
          code: 'too_many_requests',
          reason: `account ${key} locked after ${account.failures} consecutive failures`,
        },
        { failures: account.failures, lockedUntil: account.locked_until },
      );
  }

  /** Ends an account's lockout (admin action): its failure count is cleared, and the unlock recorded. */
  async unlock(userId: string, by: string, why?: string): Promise<{ username: string; wasLocked: boolean }> {
    const row = await this.users.getUser(userId);
    if (!row) throw new ColdtraceError('not_found', `user ${userId} not found`);
    const failures = await this.users.getFailures(row.username);
    const wasLocked = !!failures && failures.locked_until > this.clock.now();
    await this.users.clearFailures(row.username);
    await this.security.record({
      event: 'account_unlocked',
      actor: by,
      subject: row.username,
      reason: why ?? `account ${row.username} unlocked by ${by}${wasLocked ? '' : ' (was not locked)'}`,
      details: { failures: failures?.failures ?? 0, wasLocked },
    });
    return { username: row.username, wasLocked };
  }

  /** Password login for the pages: a new session (cookie value + CSRF token). */
  async login(username: string, password: string, source?: string) {
    const user = await this.checkPassword(username, password, { purpose: 'login', source });
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
