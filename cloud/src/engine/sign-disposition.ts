import { type Clock, systemClock } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import {
  checkDispositionRequest,
  type DispositionRequest,
  decideDisposition,
  decisionScope,
  releaseNeeds,
} from '../domain/dispositions.js';
import { authenticateSigner, type SignatureInput } from '../domain/e-signature.js';
import type { ChangeLog } from '../domain/exposure.js';
import {
  approveRelease,
  proposeRelease,
  type ReleaseProposalRow,
  supersedeProposals,
} from '../domain/release-proposals.js';
import type { SignatureVerifier, Signer } from '../domain/signature.js';
import { dispositionRepo } from '../store/disposition-repo.js';
import { releaseProposalRepo } from '../store/release-proposal-repo.js';
import type { DispositionsTable, DomainDatabase } from '../store/schema.js';
import type { DomainEngine } from './domain-engine.js';

export type { DispositionRequest };

/**
 * Signs a disposition (docs/architecture.md "Disposition"): the request is checked and the signature
 * verified first (21 CFR 11.200(a): re-entered by its owner); then the decision, its lock changes, audit
 * entries and integration event are one derive transaction, serialised with recomputation and stamped with
 * the wall clock's time of signing (21 CFR 11.50(a)(2)), never the data clock's (docs/architecture.md "Time").
 */
export async function signDisposition(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: DispositionRequest,
  wallClock: Clock = systemClock,
): Promise<DispositionsTable> {
  checkDispositionRequest(req);
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive((trx, log, now) => decideClosingProposals(trx, log, now, req, signer), wallClock.now()),
  );
}

/**
 * A disposition, and the release proposals it supersedes (domain/release-proposals.ts): the units it
 * decides are read before deciding, so a proposal on any of them is closed in the same transaction.
 */
async function decideClosingProposals(
  trx: Transaction<DomainDatabase>,
  log: ChangeLog,
  now: number,
  req: DispositionRequest,
  signer: Signer,
): Promise<DispositionsTable> {
  const repo = dispositionRepo(trx);
  const scope = await decisionScope(repo, req);
  const d = await decideDisposition(repo, log, now, req, signer);
  await supersedeProposals(releaseProposalRepo(trx), log, now, {
    excursionId: req.excursionId,
    lotId: req.lotId ?? null,
    units: scope.units,
    dispositionId: d.id,
    decision: req.decision,
    actor: signer.username,
  });
  return d;
}

/** What signing a decision did: decided it, or proposed a release that awaits a second signature. */
export type SignedDecision =
  | { kind: 'disposition'; disposition: DispositionsTable }
  | { kind: 'proposal'; proposal: ReleaseProposalRow };

/**
 * Signs a decision as QA asks for it (POST /excursions/:id/dispositions): a release the two-person rule
 * guards (domain/release-guard.ts) becomes a proposal with its justification, anything else a disposition.
 * Which one is decided in the same transaction as the write, so the guard is never stale.
 */
export async function signDecision(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: DispositionRequest & { justification?: string | undefined },
  wallClock: Clock = systemClock,
): Promise<SignedDecision> {
  checkDispositionRequest(req);
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive(async (trx, log, now): Promise<SignedDecision> => {
      const repo = dispositionRepo(trx);
      if (req.decision === 'release') {
        const needs = await releaseNeeds(repo, await decisionScope(repo, req));
        if (needs.length > 0)
          return {
            kind: 'proposal',
            proposal: await proposeRelease(repo, releaseProposalRepo(trx), log, now, req, signer),
          };
      }
      return { kind: 'disposition', disposition: await decideClosingProposals(trx, log, now, req, signer) };
    }, wallClock.now()),
  );
}

/**
 * The second signature on a release proposal (domain/release-proposals.ts): verified as any signature
 * (re-entered by its owner), then the release is decided in one derive transaction.
 */
export async function approveReleaseProposal(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: { proposalId: string } & SignatureInput,
  wallClock: Clock = systemClock,
): Promise<{ proposal: ReleaseProposalRow; disposition: DispositionsTable }> {
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive(
      (trx, log, now) =>
        approveRelease(dispositionRepo(trx), releaseProposalRepo(trx), log, now, req.proposalId, signer),
      wallClock.now(),
    ),
  );
}
