import { randomUUID } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import type { SignatureInput } from './e-signature.js';
import type { ChangeLog } from './exposure.js';
import { type QuantityHoldRow, undecidedUnits } from './locks/quantity-holds.js';
import type { LockCause } from './locks/reconcile-locks.js';
import { type GuardedLot, secondSignatureReasons } from './release-guard.js';
import type { DispositionsTable } from './rows.js';
import { type Decision, SIGNATURE_MEANINGS, type Signer } from './signature.js';
import { dispositionManifest, type ReviewedReading } from './signature-manifest.js';

export interface DispositionRequest extends SignatureInput {
  excursionId: string;
  /** Exactly one of lotId / epc. */
  lotId?: string | undefined;
  epc?: string | undefined;
  decision: Decision;
  reason: string;
}

/** What a disposition decides on: an excursion, or a lock rule's key (a lot's cumulative rule, a rate alarm). */
export interface DispositionSubject {
  id: string;
  version: number;
  review_state: string;
  kind: LockCause;
  /** Its locks' key under `kind` (`locks.rule_key`). */
  key: string;
}

/** What signing a disposition reads and writes in its transaction (the store implements it). */
export interface DispositionRepo {
  /** The excursion of this id, else a lock rule's key some lock holds; undefined when neither. */
  subject(id: string): Promise<DispositionSubject | undefined>;
  lotExists(lotId: string): Promise<boolean>;
  unitsOfLot(lotId: string): Promise<string[]>;
  /** Locks of these units under the key that are not lifted, with the excursion version a decision on them was signed for. */
  decidableLocks(
    subject: DispositionSubject,
    epcs: readonly string[],
  ): Promise<Array<{ epc: string; state: string; decided_version: number | null }>>;
  insertDisposition(d: DispositionsTable): Promise<void>;
  /** Sets the locks of these units under the key (not lifted) to the decided state. */
  decideLocks(
    subject: DispositionSubject,
    epcs: readonly string[],
    set: { state: string; disposition_id: string; reason: string; updated_at: number },
  ): Promise<void>;
  anyActiveLock(subject: DispositionSubject): Promise<boolean>;
  /** The lot's quantity holds (not lifted) under an excursion (docs/barcode.md "Quantity custody"). */
  decidableHolds(excursionId: string, lotId: string): Promise<QuantityHoldRow[]>;
  /** Sets these holds of the lot under the excursion to the decided state, covering their units. */
  decideHolds(
    excursionId: string,
    lotId: string,
    locationIds: readonly string[],
    set: {
      state: string;
      disposition_id: string;
      reason: string;
      /** A decision ends a specification change's hold: null. */
      hold_reason: null;
      decided_version: number;
      updated_at: number;
    },
  ): Promise<void>;
  /** Whether a hold under the excursion still holds units no decision covers. */
  anyUndecidedHold(excursionId: string): Promise<boolean>;
  markDecided(excursionId: string): Promise<void>;
  lotsOf(epcs: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** What the signer reviewed (21 CFR 11.70): the excursion's stored content and its readings. */
  reviewed(subject: DispositionSubject): Promise<{ content: unknown; readings: ReviewedReading[] }>;
  /** The lots of these units, and these lots, as a release guard sees them (release-guard.ts). */
  releaseGuard(units: readonly string[], lots?: readonly string[]): Promise<GuardedLot[]>;
}

/** What a decision covers: its subject, the units still to decide and how to name them. */
export interface DecisionScope {
  subject: DispositionSubject;
  what: string;
  /** The lot decided on; null for a unit's decision. */
  lotId: string | null;
  rows: Array<{ epc: string; state: string }>;
  units: string[];
  /** The lot's quantity holds to decide (units without serial, per location); [] for a unit's decision. */
  holds: Array<{ locationId: string; units: number; state: string }>;
}

/**
 * The units a decision on `req` would decide (docs/architecture.md "Disposition"): the lot's (or the one
 * unit's) locks under the subject that are still active, or were decided on an earlier version of it.
 */
export async function decisionScope(repo: DispositionRepo, req: DispositionRequest): Promise<DecisionScope> {
  const x = await repo.subject(req.excursionId);
  if (!x) throw new ColdtraceError('not_found', `excursion ${req.excursionId} not found`);
  let epcs: string[];
  if (req.lotId !== undefined) {
    if (!(await repo.lotExists(req.lotId)))
      throw new ColdtraceError('not_found', `lot ${req.lotId} not found`);
    epcs = await repo.unitsOfLot(req.lotId);
  } else epcs = [req.epc!.toUpperCase()];
  const what = req.lotId !== undefined ? `lot ${req.lotId}` : `EPC ${req.epc}`;
  const affected = epcs.length ? await repo.decidableLocks(x, epcs) : [];
  // A lot's counted units without serial are held per location (quantity holds): decided with its units.
  const held =
    req.lotId !== undefined && x.kind === 'excursion' ? await repo.decidableHolds(x.id, req.lotId) : [];
  if (affected.length === 0 && held.length === 0) {
    throw new ColdtraceError('conflict', `${what} has no units affected by excursion ${req.excursionId}`);
  }
  // A signed decision stands: only units still locked, or decided on an earlier version of the
  // excursion that later data has since changed (it returned to review), can be decided now; of a hold,
  // also one holding more units than its decision covered.
  const rows = affected.filter((r) => r.state === 'active' || (r.decided_version ?? x.version) < x.version);
  const holds = held
    .filter((h) => undecidedUnits(h) > 0 || (h.decided_version ?? x.version) < x.version)
    .map((h) => ({ locationId: h.location_id, units: h.units, state: h.state }));
  if (rows.length === 0 && holds.length === 0) {
    throw new ColdtraceError(
      'conflict',
      `${what} is already decided for version ${x.version} of excursion ${req.excursionId}; a signed decision is not overwritten`,
    );
  }
  return { subject: x, what, lotId: req.lotId ?? null, rows, units: rows.map((r) => r.epc).sort(), holds };
}

/** Why releasing this scope needs a second signature (release-guard.ts); empty when one suffices. */
export async function releaseNeeds(repo: DispositionRepo, scope: DecisionScope): Promise<string[]> {
  const lots = scope.holds.length > 0 && scope.lotId !== null ? [scope.lotId] : [];
  return secondSignatureReasons(scope.subject.kind, await repo.releaseGuard(scope.units, lots));
}

/** A disposition request's own checks, before any signature is verified. */
export function checkDispositionRequest(req: DispositionRequest): void {
  if ((req.lotId === undefined) === (req.epc === undefined)) {
    throw new ColdtraceError('invalid', 'give exactly one of lotId or epc');
  }
  if (!req.reason.trim()) throw new ColdtraceError('invalid', 'a reason is required');
}

/**
 * docs/architecture.md "Disposition": QA releases or rejects the units of a lot (or one unit) affected by an
 * excursion, with an electronic signature. Locks of those units for that excursion become 'released'
 * or 'rejected' and keep that state whatever later data does; the excursion is 'decided' once no
 * active lock is left on it. Signature, lock changes, audit entries and the integration event are one
 * transaction, stamped with the wall clock's time of signing (21 CFR 11.50(a)(2): the date and time of
 * the signing), never the data clock's (docs/architecture.md "Time").
 */
export async function decideDisposition(
  repo: DispositionRepo,
  log: ChangeLog,
  now: number,
  req: DispositionRequest,
  signer: Signer,
  opts: {
    /** The release proposal this decision is the second signature on (release-proposals.ts). */
    secondSignatureOf?: string | undefined;
    /** The signature's meaning when not the decision's own (a second signature's). */
    meaning?: string | undefined;
  } = {},
): Promise<DispositionsTable> {
  const scope = await decisionScope(repo, req);
  const { subject: x, what, rows, units, holds } = scope;
  // The two-person rule (release-guard.ts): such a release is decided only as the second signature on a
  // proposal (release-proposals.ts), never by one person.
  if (req.decision === 'release' && !opts.secondSignatureOf) {
    const reasons = await releaseNeeds(repo, scope);
    if (reasons.length > 0)
      throw new ColdtraceError(
        'second_signature_required',
        `releasing ${what} needs a written justification and a second QA signature (two-person rule): ${reasons.join('; ')}`,
      );
  }
  const meaning = opts.meaning ?? SIGNATURE_MEANINGS[req.decision];
  const reviewed = await repo.reviewed(x);
  const sealed = dispositionManifest({
    decision: req.decision,
    meaning,
    reason: req.reason,
    subject: { id: req.excursionId, cause: x.kind, version: x.version, content: reviewed.content },
    scope: {
      type: req.lotId !== undefined ? 'lot' : 'epc',
      lotId: req.lotId ?? null,
      epc: req.epc?.toUpperCase() ?? null,
      units,
      held: holds.map((h) => ({ locationId: h.locationId, units: h.units })),
    },
    readings: reviewed.readings,
    signer: { userId: signer.userId, username: signer.username, printedName: signer.printedName },
    signedAt: now,
  });
  const d: DispositionsTable = {
    id: randomUUID(),
    excursion_id: req.excursionId,
    scope: req.lotId !== undefined ? 'lot' : 'epc',
    lot_id: req.lotId ?? null,
    epc: req.epc?.toUpperCase() ?? null,
    decision: req.decision,
    reason: req.reason,
    signer_id: signer.userId,
    signer_username: signer.username,
    printed_name: signer.printedName,
    meaning,
    signed_at: now,
    excursion_version: x.version,
    units: rows.length + holds.reduce((n, h) => n + h.units, 0),
    manifest_json: sealed.canonical,
    manifest_hash: sealed.hash,
  };
  await repo.insertDisposition(d);
  const state = req.decision === 'release' ? 'released' : 'rejected';
  await repo.decideLocks(x, units, {
    state,
    disposition_id: d.id,
    reason: `${state} by ${signer.printedName}: ${req.reason}`,
    updated_at: now,
  });
  if (holds.length > 0)
    await repo.decideHolds(
      x.id,
      req.lotId!,
      holds.map((h) => h.locationId),
      {
        state,
        disposition_id: d.id,
        reason: `${state} by ${signer.printedName}: ${req.reason}`,
        hold_reason: null,
        decided_version: x.version,
        updated_at: now,
      },
    );
  log.audit.push({
    actor: signer.username,
    action: `disposition.${req.decision}`,
    entityType:
      x.kind === 'excursion' ? 'excursion' : x.kind === 'cumulative' ? 'cumulative-rule' : 'rule-alarm',
    entityId: req.excursionId,
    before: {
      locks: rows.map((r) => ({ epc: r.epc, state: r.state })),
      ...(holds.length > 0 ? { quantityHolds: holds } : {}),
    },
    after: {
      dispositionId: d.id,
      lotId: d.lot_id,
      epc: d.epc,
      state,
      signature: {
        signerId: d.signer_id,
        printedName: d.printed_name,
        signedAt: now,
        meaning: d.meaning,
      },
      excursionVersion: d.excursion_version,
      // 21 CFR 11.70: the signed manifest travels with the decision on the hash-chained trail.
      manifest: sealed.manifest,
      manifestHash: sealed.hash,
    },
    reason: req.reason,
  });
  const active =
    (await repo.anyActiveLock(x)) || (x.kind === 'excursion' && (await repo.anyUndecidedHold(x.id)));
  if (!active && x.kind === 'excursion' && x.review_state !== 'decided') {
    await repo.markDecided(x.id);
    log.audit.push({
      actor: signer.username,
      action: 'excursion.decided',
      entityType: 'excursion',
      entityId: x.id,
      before: { reviewState: x.review_state },
      after: { reviewState: 'decided', version: x.version },
      reason: 'every affected unit and held quantity has a QA decision',
    });
  }
  const lots = await repo.lotsOf(units);
  log.extraEvents.push({
    type: 'disposition',
    dispositionId: d.id,
    excursionId: d.excursion_id,
    decision: req.decision,
    lotId: d.lot_id,
    epc: d.epc,
    units: units.map((epc) => ({ epc, lotId: lots.get(epc) ?? null })),
    ...(holds.length > 0
      ? { quantities: holds.map((h) => ({ lotId: req.lotId!, locationId: h.locationId, units: h.units })) }
      : {}),
    signedBy: d.printed_name,
    meaning: d.meaning,
    reason: d.reason,
    at: now,
  });
  return d;
}
