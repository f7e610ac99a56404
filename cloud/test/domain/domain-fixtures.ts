import { sgtin96Hex } from '@coldtrace/shared';
import type { DispositionRequest } from '../../src/domain/dispositions.js';
import type { SignatureVerifier } from '../../src/domain/signature.js';
import type { DomainEngine } from '../../src/engine/domain-engine.js';
import { signDisposition } from '../../src/engine/sign-disposition.js';

/** A unit of the domain tests' product (GTIN 80614141123458): its SGTIN-96 EPC. */
export const unitEpc = (serial: number) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial });

/** The QA user of the domain tests, as she signs (her name, password and session). */
export const ANNA = { username: 'qa.anna', password: 'correct horse', signedInUserId: 'u-qa' } as const;

/** An in-test e-signature check that knows only ANNA: anyone else, or a wrong password, is refused. */
export const annaVerifier: SignatureVerifier = async (username, password) =>
  username === ANNA.username && password === ANNA.password
    ? { userId: ANNA.signedInUserId, username, printedName: 'Anna Quality', roles: ['qa'] }
    : null;

/** ANNA signs a disposition: of one unit (`epc`) or of a lot's held quantity (`lotId`). */
export function annaSigns(
  h: { engine: DomainEngine },
  req: Omit<DispositionRequest, 'username' | 'password' | 'signedInUserId'>,
) {
  return signDisposition(h.engine, annaVerifier, { ...req, ...ANNA });
}
