import { type Clock, ColdtraceError } from '@coldtrace/shared';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../../auth/auth-plugin.js';
import { normalizeUsername } from '../../auth/user-store.js';
import {
  authenticateSigner,
  type SignedChange,
  SPECIFICATION_CHANGE_MEANING,
} from '../../domain/e-signature.js';
import type { SignatureVerifier } from '../../domain/signature.js';
import {
  checkEffect,
  SPECIFICATION_CORRECTION_MEANING,
  type SpecEffect,
} from '../../domain/spec-versions.js';
import type { StoredSpecVersion } from '../../store/spec-version-repo.js';

/**
 * The body fields of an e-signed specification change: why (EU GMP Annex 11 §10 change control), and the
 * signature, username and password re-entered for this signing (21 CFR 11.200(a)(1)).
 */
export const signedChangeFields = {
  reason: z.string().trim().min(1, 'a reason is required').max(2000),
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1000),
};

/**
 * The signed-in user a signature must belong to (21 CFR 11.200(a)(2)): a session signing with another
 * user's name is refused before the password is checked, so the endpoint is no password oracle. Null for
 * a token that belongs to no user (`authenticateSigner` refuses it).
 */
export function signingUserOf(req: FastifyRequest, username: string): string | null {
  const who = principalOf(req);
  if (who.kind === 'session' && normalizeUsername(username) !== who.username) {
    throw new ColdtraceError(
      'forbidden',
      'signature refused: an e-signature may be used only by its owner (sign as the signed-in user)',
    );
  }
  return who.userId;
}

/**
 * When a specification version takes effect (docs/domain.md "Effective-dated specifications"): a data time,
 * epoch ms. An ordinary change defaults to the data clock's now; a correction names it (null = from the
 * beginning).
 */
export const effectiveFromField = z.number().int().min(0).max(8.64e15);

/** One stored version of a specification (the versions endpoints), its spec as `spec`. */
export function versionView<T extends z.ZodTypeAny>(spec: T) {
  return z.object({
    version: z.number().int(),
    /** Data time it takes effect; null = from the beginning. */
    effectiveFrom: z.number().nullable(),
    kind: z.enum(['initial', 'change', 'correction']),
    /** The version that replaced it; null while in force. */
    replacedBy: z.number().int().nullable(),
    /** Wall-clock time it was made. */
    createdAt: z.number(),
    actor: z.string(),
    reason: z.string(),
    spec,
  });
}

export function versionViewOf<S>(v: StoredSpecVersion<S>) {
  return {
    version: v.version,
    effectiveFrom: Number.isFinite(v.effectiveFrom) ? v.effectiveFrom : null,
    kind: v.kind,
    replacedBy: v.replacedBy,
    createdAt: v.createdAt,
    actor: v.actor,
    reason: v.reason,
    spec: v.spec,
  };
}

/**
 * Authenticates the e-signature of a specification change request and returns the signed change
 * (meaning: `SPECIFICATION_CHANGE_MEANING` unless another is given, e.g. a retroactive correction's; time:
 * the wall clock after verification, 21 CFR 11.50(a)(2)). Nothing is changed when it throws.
 */
export async function signedChangeOf(
  req: FastifyRequest,
  body: { reason: string; username: string; password: string },
  verify: SignatureVerifier,
  wallClock: Clock,
  meaning: string = SPECIFICATION_CHANGE_MEANING,
): Promise<SignedChange> {
  const signer = await authenticateSigner(
    verify,
    { username: body.username, password: body.password, signedInUserId: signingUserOf(req, body.username) },
    'approve specification changes',
  );
  return { signer, reason: body.reason, meaning, signedAt: wallClock.now() };
}

/**
 * A signed specification version request (docs/domain.md "Effective-dated specifications"): when it takes
 * effect (`requested`, or the data clock's now), checked before the signature is taken (nothing changed,
 * no password spent: `spec_effective_in_past` for an ordinary change reaching into the past), then the
 * e-signature with the meaning of an ordinary change or of a retroactive correction.
 */
export async function signedVersionOf(
  req: FastifyRequest,
  body: { reason: string; username: string; password: string },
  kind: SpecEffect['kind'],
  requested: number | undefined,
  deps: { verify: SignatureVerifier; wallClock: Clock; clock: Clock },
): Promise<{ signed: SignedChange; effect: SpecEffect }> {
  const dataNow = deps.clock.now();
  const effectiveFrom = requested ?? dataNow;
  checkEffect(kind, effectiveFrom, dataNow);
  const meaning = kind === 'correction' ? SPECIFICATION_CORRECTION_MEANING : SPECIFICATION_CHANGE_MEANING;
  const signed = await signedChangeOf(req, body, deps.verify, deps.wallClock, meaning);
  return { signed, effect: { kind, effectiveFrom, dataNow } };
}
