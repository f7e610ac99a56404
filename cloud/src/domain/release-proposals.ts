import { randomUUID } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import {
  type DispositionRepo,
  type DispositionRequest,
  decideDisposition,
  decisionScope,
  releaseNeeds,
} from './dispositions.js';
import type { ChangeLog } from './exposure.js';
import { justificationProblem } from './release-guard.js';
import type { DispositionsTable } from './rows.js';
import type { Signer } from './signature.js';
import { dispositionManifest, sealManifest } from './signature-manifest.js';

/** 21 CFR 11.50(a)(3): the meaning of the first signature of a guarded release. */
export const RELEASE_PROPOSAL_MEANING =
  'Release proposed: I have reviewed the temperature excursion, its data and the justification, and propose releasing the stock; it stays locked until a second QA user approves.';

/** The meaning of the second signature, which releases the stock. */
export const SECOND_SIGNATURE_MEANING =
  'Release approved (second signature): I have reviewed the temperature excursion, its data and the justification, and approve the release proposed by another QA user.';

/** A release waiting for its second signature (migration 0021). */
export interface ReleaseProposalRow {
  id: string;
  excursion_id: string;
  scope: string;
  lot_id: string | null;
  epc: string | null;
  reason: string;
  justification: string;
  /** Why two signatures are needed (JSON array of sentences). */
  needs_json: string;
  excursion_version: number;
  units: number;
  signer_id: string;
  signer_username: string;
  printed_name: string;
  meaning: string;
  signed_at: number;
  manifest_json: string;
  manifest_hash: string;
  /** pending | approved | superseded (another decision was signed on its stock first) */
  state: string;
  disposition_id: string | null;
  decided_at: number | null;
}

export interface ReleaseProposalRepo {
  insert(p: ReleaseProposalRow): Promise<void>;
  get(id: string): Promise<ReleaseProposalRow | undefined>;
  /** A pending proposal on the same subject and scope, if any. */
  pendingFor(
    excursionId: string,
    lotId: string | null,
    epc: string | null,
  ): Promise<ReleaseProposalRow | undefined>;
  approve(id: string, dispositionId: string, at: number): Promise<void>;
  /** Pending proposals on this excursion. */
  pendingOn(excursionId: string): Promise<ReleaseProposalRow[]>;
  /** Closes a pending proposal: a decision (`dispositionId`) was signed on its stock first. */
  supersede(id: string, dispositionId: string, at: number): Promise<void>;
}

/**
 * A decision signed on stock a release proposal covers (a rejection, or a release that needed one
 * signature) closes that proposal: it no longer describes what its second signature would release, and the
 * dashboard stops counting it as awaiting one. Covered: the same lot, or a unit of the decision's scope.
 * Audited as `release.superseded`, naming the decision.
 */
export async function supersedeProposals(
  proposals: ReleaseProposalRepo,
  log: ChangeLog,
  now: number,
  decided: {
    excursionId: string;
    lotId: string | null;
    units: readonly string[];
    dispositionId: string;
    decision: string;
    actor: string;
  },
): Promise<string[]> {
  const units = new Set(decided.units);
  const closed: string[] = [];
  for (const p of await proposals.pendingOn(decided.excursionId)) {
    const covered = (p.lot_id !== null && p.lot_id === decided.lotId) || (p.epc !== null && units.has(p.epc));
    if (!covered) continue;
    await proposals.supersede(p.id, decided.dispositionId, now);
    closed.push(p.id);
    log.audit.push({
      actor: decided.actor,
      action: 'release.superseded',
      entityType: 'release-proposal',
      entityId: p.id,
      before: { state: 'pending' },
      after: { state: 'superseded', dispositionId: decided.dispositionId, decision: decided.decision },
      reason: `a ${decided.decision} was signed on its stock (disposition ${decided.dispositionId}) before a second signature`,
    });
  }
  return closed;
}

/**
 * The first signature of a release the two-person rule guards (release-guard.ts): a QA user proposes it
 * with a reason and a written justification, signed with its own manifest and meaning. Nothing is released:
 * the locks stay until another QA user approves (`approveRelease`). Refused when the release needs no
 * second signature (sign it as a disposition), when the justification is too short, or when the same scope
 * already has a pending proposal.
 */
export async function proposeRelease(
  repo: DispositionRepo,
  proposals: ReleaseProposalRepo,
  log: ChangeLog,
  now: number,
  req: DispositionRequest & { justification?: string | undefined },
  signer: Signer,
): Promise<ReleaseProposalRow> {
  if (req.decision !== 'release') throw new ColdtraceError('invalid', 'only a release is proposed');
  const scope = await decisionScope(repo, req);
  const needs = await releaseNeeds(repo, scope);
  if (needs.length === 0)
    throw new ColdtraceError(
      'conflict',
      `releasing ${scope.what} needs one signature: sign it as a disposition`,
    );
  const problem = justificationProblem(req.justification);
  if (problem)
    throw new ColdtraceError('invalid', `releasing ${scope.what}: ${problem} (${needs.join('; ')})`);
  const lotId = req.lotId ?? null;
  const epc = req.epc?.toUpperCase() ?? null;
  const open = await proposals.pendingFor(req.excursionId, lotId, epc);
  if (open)
    throw new ColdtraceError(
      'conflict',
      `a release of ${scope.what} proposed by ${open.printed_name} awaits its second signature (proposal ${open.id})`,
    );
  const reviewed = await repo.reviewed(scope.subject);
  const base = dispositionManifest({
    decision: 'release',
    meaning: RELEASE_PROPOSAL_MEANING,
    reason: req.reason,
    subject: {
      id: req.excursionId,
      cause: scope.subject.kind,
      version: scope.subject.version,
      content: reviewed.content,
    },
    scope: { type: lotId !== null ? 'lot' : 'epc', lotId, epc, units: scope.units },
    readings: reviewed.readings,
    signer: { userId: signer.userId, username: signer.username, printedName: signer.printedName },
    signedAt: now,
  });
  // 21 CFR 11.70: the justification and why it was needed are part of what the first signer signed.
  const sealed = sealManifest({
    ...base.manifest,
    kind: 'release-proposal',
    justification: req.justification!.trim(),
    needs,
  });
  const p: ReleaseProposalRow = {
    id: randomUUID(),
    excursion_id: req.excursionId,
    scope: lotId !== null ? 'lot' : 'epc',
    lot_id: lotId,
    epc,
    reason: req.reason,
    justification: req.justification!.trim(),
    needs_json: JSON.stringify(needs),
    excursion_version: scope.subject.version,
    units: scope.units.length,
    signer_id: signer.userId,
    signer_username: signer.username,
    printed_name: signer.printedName,
    meaning: RELEASE_PROPOSAL_MEANING,
    signed_at: now,
    manifest_json: sealed.canonical,
    manifest_hash: sealed.hash,
    state: 'pending',
    disposition_id: null,
    decided_at: null,
  };
  await proposals.insert(p);
  log.audit.push({
    actor: signer.username,
    action: 'release.proposed',
    entityType: 'release-proposal',
    entityId: p.id,
    after: {
      excursionId: p.excursion_id,
      lotId,
      epc,
      units: p.units,
      justification: p.justification,
      needs,
      signature: { signerId: p.signer_id, printedName: p.printed_name, signedAt: now, meaning: p.meaning },
      excursionVersion: p.excursion_version,
      manifestHash: p.manifest_hash,
    },
    reason: req.reason,
  });
  return p;
}

/**
 * The second signature of a guarded release: another QA user approves the proposal, and the release is
 * decided as a disposition signed by them with the second signature's meaning; its reason names the
 * proposal and the first signature's manifest hash, so both signatures stay bound (21 CFR 11.70). Refused
 * for the proposer (two-person rule), for a proposal already approved, and when the excursion changed since
 * it was proposed (the proposal no longer describes what would be released: propose again).
 */
export async function approveRelease(
  repo: DispositionRepo,
  proposals: ReleaseProposalRepo,
  log: ChangeLog,
  now: number,
  proposalId: string,
  approver: Signer,
): Promise<{ proposal: ReleaseProposalRow; disposition: DispositionsTable }> {
  const p = await proposals.get(proposalId);
  if (!p) throw new ColdtraceError('not_found', `release proposal ${proposalId} not found`);
  if (p.state !== 'pending')
    throw new ColdtraceError('conflict', `release proposal ${proposalId} is already ${p.state}`);
  if (p.signer_id === approver.userId)
    throw new ColdtraceError(
      'forbidden',
      'two-person rule: the second signature must be another QA user than the one who proposed the release',
    );
  const subject = await repo.subject(p.excursion_id);
  if (subject && subject.version !== p.excursion_version)
    throw new ColdtraceError(
      'conflict',
      `excursion ${p.excursion_id} changed since the release was proposed (version ${p.excursion_version} → ${subject.version}): review it and propose again`,
    );
  const req: DispositionRequest = {
    excursionId: p.excursion_id,
    ...(p.lot_id !== null ? { lotId: p.lot_id } : { epc: p.epc! }),
    decision: 'release',
    reason: `${p.reason} — justification: ${p.justification} — second signature on release proposal ${p.id} by ${p.printed_name} (manifest ${p.manifest_hash})`,
    // The approver's credentials were verified by the caller (engine/sign-disposition.ts).
    username: approver.username,
    password: '',
    signedInUserId: approver.userId,
  };
  const disposition = await decideDisposition(repo, log, now, req, approver, {
    secondSignatureOf: p.id,
    meaning: SECOND_SIGNATURE_MEANING,
  });
  await proposals.approve(p.id, disposition.id, now);
  log.audit.push({
    actor: approver.username,
    action: 'release.approved',
    entityType: 'release-proposal',
    entityId: p.id,
    before: { state: 'pending' },
    after: { state: 'approved', dispositionId: disposition.id, manifestHash: disposition.manifest_hash },
    reason: `second signature by ${approver.printedName}`,
  });
  return {
    proposal: { ...p, state: 'approved', disposition_id: disposition.id, decided_at: now },
    disposition,
  };
}
