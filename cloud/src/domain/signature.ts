/**
 * Electronic signatures (21 CFR 11.50 / 11.200): the signer re-enters username and password for each
 * signing; the record holds the printed name, the time and the meaning of the signature.
 */
export interface Signer {
  userId: string;
  username: string;
  printedName: string;
  roles: string[];
}

/** Checks a re-entered username and password; null when they do not match an enabled user. */
/**
 * Verifies re-entered credentials. `ownerId` is the signed-in user: a username that belongs to someone else
 * is refused before its password is checked, so nobody can spend another user's signing attempts.
 */
export type SignatureVerifier = (
  username: string,
  password: string,
  ownerId?: string,
) => Promise<Signer | null>;

/** Roles allowed to sign dispositions. */
export const SIGNING_ROLES: readonly string[] = ['qa', 'admin'];

export type Decision = 'release' | 'reject';

/** 21 CFR 11.50(a)(3): the meaning associated with the signature, shown and stored with it. */
export const SIGNATURE_MEANINGS: Record<Decision, string> = {
  release:
    'Release: I have reviewed the temperature excursion and its data and approve the stock for use or distribution.',
  reject:
    'Reject: I have reviewed the temperature excursion and its data and reject the stock; it must not be used or distributed.',
};

/** A verifier that accepts nobody: the default until user accounts are configured. */
export const noSigners: SignatureVerifier = async () => null;
