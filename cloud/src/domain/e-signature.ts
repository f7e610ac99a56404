import { ColdtraceError } from '@coldtrace/shared';
import { SIGNING_ROLES, type SignatureVerifier, type Signer } from './signature.js';
import { specificationManifest } from './signature-manifest.js';

/**
 * 21 CFR 11.50(a)(3): the meaning of a signature approving a specification change (a location's limits, a
 * product's tolerance, stability budget or cumulative rules), shown and stored with it.
 */
export const SPECIFICATION_CHANGE_MEANING =
  'Approval of a specification change: I have reviewed the new temperature limits and approve them and the re-evaluation of the stored data under them.';

export interface SignatureInput {
  /** Re-entered credentials (21 CFR 11.200(a)(1)): every signing is authenticated anew. */
  username: string;
  password: string;
  /**
   * The user authenticated for this request (session or the user's own token); null for a token not tied
   * to a user. A signature is accepted only from its owner (21 CFR 11.100(a), 11.200(a)(2)).
   */
  signedInUserId: string | null;
}

/** A change approved by an e-signature: who signed, why, what the signature means, and when (wall clock). */
export interface SignedChange {
  signer: Signer;
  reason: string;
  meaning: string;
  signedAt: number;
}

/**
 * Authenticates an e-signature: the signed-in user re-enters username and password, and must hold a
 * signing role (qa or admin). Throws `forbidden` (no user, someone else's signature, no signing role) or
 * `unauthorized` (wrong username or password; a failure counts toward the user's lockout, see
 * `createSignatureVerifier`). `action` says what the role is needed for, e.g. `change limits`.
 */
export async function authenticateSigner(
  verify: SignatureVerifier,
  s: SignatureInput,
  action: string,
): Promise<Signer> {
  if (s.signedInUserId === null) {
    throw new ColdtraceError('forbidden', 'an e-signature needs a user: sign in your own session');
  }
  const signer = await verify(s.username, s.password, s.signedInUserId);
  if (!signer) throw new ColdtraceError('unauthorized', 'signature refused: username or password is wrong');
  if (signer.userId !== s.signedInUserId) {
    throw new ColdtraceError(
      'forbidden',
      'signature refused: an e-signature may be used only by its owner (sign as the signed-in user)',
    );
  }
  if (!signer.roles.some((r) => SIGNING_ROLES.includes(r))) {
    throw new ColdtraceError(
      'forbidden',
      `user ${signer.username} may not ${action} (needs role qa or admin)`,
    );
  }
  return signer;
}

/**
 * The signature as the audit trail records it with the change (21 CFR 11.50(a): name, time, meaning), with
 * the manifest binding it to the state approved, `content` (21 CFR 11.70).
 */
export function signatureRecord(
  c: SignedChange,
  approved: { entityType: string; entityId: string; content: unknown },
) {
  const sealed = specificationManifest({
    ...approved,
    meaning: c.meaning,
    reason: c.reason,
    signer: c.signer,
    signedAt: c.signedAt,
  });
  return {
    signerId: c.signer.userId,
    username: c.signer.username,
    printedName: c.signer.printedName,
    signedAt: c.signedAt,
    meaning: c.meaning,
    manifest: sealed.manifest,
    manifestHash: sealed.hash,
  };
}
