import type { LockCause } from './locks/reconcile-locks.js';
import type { LotAssessment } from './lot-assessment.js';

/** A written justification for a guarded release is at least this long (characters, trimmed). */
export const MIN_JUSTIFICATION_CHARS = 50;

/** What a release guard looks at in a lot. */
export interface GuardedLot {
  lotId: string;
  timeOutsideMs: number;
  /** null: the product has no stability budget. */
  stabilityBudgetMs: number | null;
  /** The lock keys of the cumulative rules some unit of the lot reached. */
  cumulativeReached: string[];
}

export function guardedLotOf(a: LotAssessment): GuardedLot {
  return {
    lotId: a.lotId,
    timeOutsideMs: a.timeOutsideMs,
    stabilityBudgetMs: a.product?.stabilityBudgetMs ?? null,
    cumulativeReached: a.cumulative.filter((c) => c.exceeded).map((c) => c.key),
  };
}

/**
 * Why releasing these lots needs a written justification and a second QA signature (the two-person rule;
 * docs/domain.md "Two-person release"): a lot past its stability budget, a cumulative rule some unit reached,
 * or a release of a cumulative rule's own lock. Empty: one signature suffices. Rejecting never needs more.
 */
export function secondSignatureReasons(subject: LockCause, lots: readonly GuardedLot[]): string[] {
  const reasons: string[] = [];
  if (subject === 'cumulative') reasons.push('the lock is a cumulative rule that was reached');
  for (const l of lots) {
    if (l.stabilityBudgetMs !== null && l.timeOutsideMs > l.stabilityBudgetMs) {
      const pct = Math.round((100 * l.timeOutsideMs) / Math.max(1, l.stabilityBudgetMs));
      reasons.push(`lot ${l.lotId} is past its stability budget (${pct} % used)`);
    }
    if (subject !== 'cumulative' && l.cumulativeReached.length > 0)
      reasons.push(`lot ${l.lotId} reached a cumulative rule (${l.cumulativeReached.join(', ')})`);
  }
  return reasons;
}

/** Why a justification is not enough, or null. */
export function justificationProblem(justification: string | undefined): string | null {
  const n = justification?.trim().length ?? 0;
  return n >= MIN_JUSTIFICATION_CHARS
    ? null
    : `a written justification of at least ${MIN_JUSTIFICATION_CHARS} characters is required (${n} given)`;
}
