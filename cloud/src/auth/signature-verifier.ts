import { type Clock, ColdtraceError, systemClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { SecurityEvents } from '../security/security-events.js';
import type { Database } from '../store/schema.js';
import { type AuthConfigInput, authConfigSchema } from './auth-config.js';
import { AuthService } from './auth-service.js';
import { normalizeUsername } from './user-store.js';

/** What the domain engine's `SignatureVerifier` returns for a valid signature (cloud/src/domain/signature.ts). */
export interface SignerIdentity {
  userId: string;
  username: string;
  printedName: string;
  roles: string[];
}

export type SignatureVerifierFn = (
  username: string,
  password: string,
  ownerId?: string,
) => Promise<SignerIdentity | null>;

/**
 * The e-signature check for dispositions (21 CFR 11.200(a)(1): both components, username and re-entered
 * password, at each signing). argon2id verify; a wrong password counts toward the same per-username
 * lockout as logins (an attempt to sign as someone is an attempt to use their identity; 21 CFR 11.300(d)),
 * and a locked username gets null; both are recorded as security events (`security.signature_failed`,
 * `security.signature_refused`). Role checks (qa/admin) stay with the caller.
 * `opts.clock` is the wall clock (the lockout's time; docs/architecture.md "Time").
 */
export function createSignatureVerifier(
  store: { db: Kysely<Database> } | Kysely<Database>,
  opts: { clock?: Clock; auth?: AuthConfigInput; security?: SecurityEvents } = {},
): SignatureVerifierFn {
  const db = 'db' in store ? store.db : store;
  const auth = new AuthService(
    db,
    authConfigSchema.parse(opts.auth ?? {}),
    opts.clock ?? systemClock,
    opts.security,
  );
  return async (username, password, ownerId) => {
    if (ownerId !== undefined) {
      // Another user's name: refused before the password is tried, so it spends none of their attempts.
      const named = await db
        .selectFrom('users')
        .select('id')
        .where('username', '=', normalizeUsername(username))
        .executeTakeFirst();
      if (named && named.id !== ownerId) {
        throw new ColdtraceError(
          'forbidden',
          'signature refused: an e-signature may be used only by its owner (sign as the signed-in user)',
        );
      }
    }
    let user: Awaited<ReturnType<AuthService['checkPassword']>>;
    try {
      user = await auth.checkPassword(username, password, { purpose: 'signature' });
    } catch (err) {
      if (err instanceof ColdtraceError && err.code === 'too_many_requests') return null;
      throw err;
    }
    if (!user) return null;
    return {
      userId: user.id,
      username: user.username,
      printedName: user.printedName,
      roles: [...user.roles],
    };
  };
}
