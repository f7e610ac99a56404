import type { Clock } from '@coldtrace/shared';
import { expect } from 'vitest';
import type { DispositionRequest } from '../../src/domain/dispositions.js';
import type { SignatureVerifier } from '../../src/domain/signature.js';
import type { DomainEngine } from '../../src/engine/domain-engine.js';
import { approveReleaseProposal, signDecision } from '../../src/engine/sign-disposition.js';

/** A justification long enough for a guarded release (domain/release-guard.ts). */
export const JUSTIFICATION =
  'Stability data on file (report SD-114) cover this exposure; the product stays within its specification.';

/**
 * A release the two-person rule guards, signed as QA does it: proposed by `req`'s signer with a
 * justification, approved by `second` (another QA user). Returns the disposition the approval decided.
 */
export async function releaseWithTwoSignatures(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: DispositionRequest,
  second: { username: string; password: string; userId: string },
  wallClock?: Clock,
) {
  const first = await signDecision(engine, verify, { ...req, justification: JUSTIFICATION }, wallClock);
  expect(first.kind).toBe('proposal');
  if (first.kind !== 'proposal') throw new Error('unreachable');
  const r = await approveReleaseProposal(
    engine,
    verify,
    {
      proposalId: first.proposal.id,
      username: second.username,
      password: second.password,
      signedInUserId: second.userId,
    },
    wallClock,
  );
  return r.disposition;
}
