import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { AuditInput } from '../domain/audit-chain.js';
import { appendAudit } from '../store/audit-append.js';
import type { ApiTokensTable, Database, UsersTable } from '../store/schema.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { decodeRoles, encodeRoles, type Role } from './roles.js';

export type UserRow = UsersTable;
export type ApiTokenRow = ApiTokensTable;

export interface User {
  id: string;
  username: string;
  printedName: string;
  roles: Role[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Usernames: lower-case letters, digits and . _ - ; compared case-insensitively by storing lower case. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function userOf(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    printedName: r.printed_name,
    roles: decodeRoles(r.roles),
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What the audit trail records of a user: never the password or its hash. */
function auditedUser(r: UserRow) {
  return { username: r.username, printedName: r.printed_name, roles: r.roles, disabled: r.disabled === 1 };
}

/**
 * Who manages users, for the audit trail (docs/architecture.md "Audit trail": every human action): the acting
 * user's name (routes), `cli:<os user>` (the `coldtrace user` CLI), `demo`, or `system` for programs.
 */
export interface UserActor {
  actor?: string | undefined;
  reason?: string | undefined;
}

/**
 * Users, sessions, API tokens and login failures over the cloud database (migration 0004-users). Every
 * change to a user or token is appended to the hash-chained audit trail in the same transaction.
 */
export class UserStore {
  constructor(readonly db: Kysely<Database>) {}

  /** Runs `fn` in a transaction and appends its audit entries there. */
  private audited<T>(
    now: number,
    fn: (trx: Transaction<Database>, audit: AuditInput[]) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const audit: AuditInput[] = [];
      const r = await fn(trx, audit);
      await appendAudit(trx, audit, now);
      return r;
    });
  }

  // ---- users ---------------------------------------------------------------------------------

  async createUser(
    u: { username: string; printedName?: string; roles: readonly Role[]; password: string },
    now: number,
    by: UserActor = {},
  ): Promise<User> {
    const username = normalizeUsername(u.username);
    if (!USERNAME_PATTERN.test(username))
      throw new ColdtraceError(
        'invalid',
        `username ${JSON.stringify(u.username)} must be 2-64 characters: letters, digits, '.', '_' or '-'`,
      );
    if (u.roles.length === 0) throw new ColdtraceError('invalid', 'a user needs at least one role');
    checkPasswordPolicy(u.password, username);
    if (await this.findByUsername(username))
      throw new ColdtraceError('conflict', `user ${username} already exists`);
    const row: UserRow = {
      id: randomUUID(),
      username,
      printed_name: (u.printedName ?? username).trim() || username,
      roles: encodeRoles(u.roles),
      password_hash: await hashPassword(u.password),
      disabled: 0,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.audited(now, async (trx, audit) => {
        await trx.insertInto('users').values(row).execute();
        audit.push({
          actor: by.actor ?? 'system',
          action: 'user.created',
          entityType: 'user',
          entityId: row.id,
          after: auditedUser(row),
          reason: by.reason ?? 'user created',
        });
      });
    } catch (err) {
      // a concurrent insert of the same username loses on the unique index
      if (await this.findByUsername(username))
        throw new ColdtraceError('conflict', `user ${username} already exists`);
      throw err;
    }
    return userOf(row);
  }

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
  }

  getUser(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('username').execute()).map(userOf);
  }

  async countUsers(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Changes a user, audited per kind of change (`user.renamed`, `user.roles_changed`, `user.disabled`,
   * `user.enabled`, `user.password_changed`; the password never recorded) in the same transaction.
   */
  async updateUser(
    id: string,
    patch: { printedName?: string; roles?: readonly Role[]; disabled?: boolean; password?: string },
    now: number,
    by: UserActor = {},
  ): Promise<User> {
    const row = await this.getUser(id);
    if (!row) throw new ColdtraceError('not_found', `user ${id} not found`);
    if (patch.roles && patch.roles.length === 0)
      throw new ColdtraceError('invalid', 'a user needs at least one role');
    if (patch.password !== undefined) checkPasswordPolicy(patch.password, row.username);
    const set: Partial<UserRow> = { updated_at: now };
    if (patch.printedName !== undefined) set.printed_name = patch.printedName.trim() || row.username;
    if (patch.roles) set.roles = encodeRoles(patch.roles);
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    if (patch.password !== undefined) set.password_hash = await hashPassword(patch.password);
    const actor = by.actor ?? 'system';
    return this.audited(now, async (trx, audit) => {
      const before = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!before) throw new ColdtraceError('not_found', `user ${id} not found`);
      await trx.updateTable('users').set(set).where('id', '=', id).execute();
      // A changed password, lost role or disabled account ends every open session of the user.
      if (patch.password !== undefined || patch.roles || patch.disabled)
        await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
      const after = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const entry = (action: string, what: string, b: unknown, a: unknown) =>
        audit.push({
          actor,
          action,
          entityType: 'user',
          entityId: id,
          before: b,
          after: a,
          reason: by.reason ?? `${what} of ${after.username} by ${actor}`,
        });
      if (before.printed_name !== after.printed_name)
        entry(
          'user.renamed',
          'printed name changed',
          { printedName: before.printed_name },
          { printedName: after.printed_name },
        );
      if (before.roles !== after.roles)
        entry('user.roles_changed', 'roles changed', { roles: before.roles }, { roles: after.roles });
      if (before.disabled !== after.disabled)
        entry(
          after.disabled ? 'user.disabled' : 'user.enabled',
          after.disabled ? 'account disabled' : 'account enabled',
          { disabled: before.disabled === 1 },
          { disabled: after.disabled === 1 },
        );
      if (patch.password !== undefined)
        entry(
          'user.password_changed',
          'password changed (not recorded); sessions ended',
          undefined,
          undefined,
        );
      return userOf(after);
    });
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** A new session; returns the cookie value (only its hash is stored) and the CSRF token. */
  async createSession(
    userId: string,
    now: number,
    ttlMs: number,
  ): Promise<{ id: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: sha256(id),
        user_id: userId,
        csrf_token: csrfToken,
        created_at: now,
        expires_at: now + ttlMs,
        last_seen_at: now,
      })
      .execute();
    // Housekeeping: expired sessions are useless; drop them while we are here.
    await this.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    return { id, csrfToken };
  }

  getSession(id: string) {
    return this.db.selectFrom('sessions').selectAll().where('id_hash', '=', sha256(id)).executeTakeFirst();
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id_hash', '=', sha256(id))
      .execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', sha256(id)).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  // ---- API tokens ----------------------------------------------------------------------------

  /** A new bearer token; the token is returned once, only its hash is stored. */
  async createToken(
    t: { name: string; roles: readonly Role[]; userId: string | null },
    now: number,
    by: UserActor = {},
  ): Promise<{ row: ApiTokenRow; token: string }> {
    if (t.roles.length === 0) throw new ColdtraceError('invalid', 'a token needs at least one role');
    const token = `ct_${randomBytes(32).toString('base64url')}`;
    const row: ApiTokenRow = {
      id: randomUUID(),
      token_hash: sha256(token),
      name: t.name,
      user_id: t.userId,
      roles: encodeRoles(t.roles),
      created_at: now,
      last_used_at: null,
      revoked: 0,
    };
    await this.audited(now, async (trx, audit) => {
      await trx.insertInto('api_tokens').values(row).execute();
      audit.push({
        actor: by.actor ?? 'system',
        action: 'token.created',
        entityType: 'api_token',
        entityId: row.id,
        after: { name: row.name, roles: row.roles, userId: row.user_id },
        reason: by.reason ?? `bearer token ${row.name} issued (token not recorded)`,
      });
    });
    return { row, token };
  }

  findToken(token: string): Promise<ApiTokenRow | undefined> {
    return this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .where('revoked', '=', 0)
      .executeTakeFirst();
  }

  listTokens(): Promise<ApiTokenRow[]> {
    return this.db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute();
  }

  async touchToken(id: string, now: number): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async revokeToken(id: string, now = Date.now(), by: UserActor = {}): Promise<boolean> {
    return this.audited(now, async (trx, audit) => {
      const r = await trx
        .updateTable('api_tokens')
        .set({ revoked: 1 })
        .where('id', '=', id)
        .where('revoked', '=', 0)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      const t = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      audit.push({
        actor: by.actor ?? 'system',
        action: 'token.revoked',
        entityType: 'api_token',
        entityId: id,
        before: { name: t.name, revoked: false },
        after: { name: t.name, revoked: true },
        reason: by.reason ?? `bearer token ${t.name} revoked`,
      });
      return true;
    });
  }

  // ---- login failures ------------------------------------------------------------------------

  getFailures(username: string) {
    return this.db
      .selectFrom('login_failures')
      .selectAll()
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
  }

  /**
   * Counts one more failure of `username` (or of a source key). Failures more than `windowMs` after the
   * previous one (or after the end of its lock) start the count again.
   */
  async recordFailure(
    username: string,
    now: number,
    lockedUntil: (failures: number) => number,
    windowMs = Number.POSITIVE_INFINITY,
  ) {
    const key = normalizeUsername(username);
    const prev = await this.getFailures(key);
    const fresh = !prev || now - Math.max(prev.last_failure_at, prev.locked_until) > windowMs;
    const failures = (fresh ? 0 : prev.failures) + 1;
    const row = { username: key, failures, last_failure_at: now, locked_until: lockedUntil(failures) };
    await this.db
      .insertInto('login_failures')
      .values(row)
      .onConflict((oc) =>
        oc.column('username').doUpdateSet({
          failures: row.failures,
          last_failure_at: row.last_failure_at,
          locked_until: row.locked_until,
        }),
      )
      .execute();
    return row;
  }

  async clearFailures(username: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('username', '=', normalizeUsername(username)).execute();
  }
}
