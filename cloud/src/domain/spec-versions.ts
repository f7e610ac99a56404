import { ColdtraceError } from '@coldtrace/shared';

/**
 * Effective-dated specifications (docs/domain.md "Effective-dated specifications"): a location's limits and
 * a product's specification are a list of versions, each in force from its `effectiveFrom` (a DATA time,
 * epoch ms; −Infinity = from the beginning) until the next one's. An ordinary change adds a version taking
 * effect now or later, so it changes the future only; a retroactive correction (its own signed action)
 * replaces the versions from a past instant. Pure: plain version lists in, plain decisions out.
 */
export interface SpecVersion<S> {
  /** 1, 2, … per subject, in the order the versions were made (a replaced version keeps its number). */
  version: number;
  /** Data time it takes effect; −Infinity = from the beginning of time. */
  effectiveFrom: number;
  spec: S;
}

/**
 * 21 CFR 11.50(a)(3): the meaning of a signature on a retroactive correction of a specification, shown and
 * stored with it (an ordinary change has `SPECIFICATION_CHANGE_MEANING`).
 */
export const SPECIFICATION_CORRECTION_MEANING =
  'Approval of a retroactive specification correction: I confirm the specification in force from the stated time was wrong, approve the corrected one and the re-evaluation of the stored data from then; units it would release stay locked until a signed disposition.';

/** How a version came about: the first one, an ordinary change, or a retroactive correction. */
export type VersionKind = 'initial' | 'change' | 'correction';

const byEffect = <S>(a: SpecVersion<S>, b: SpecVersion<S>) =>
  a.effectiveFrom - b.effectiveFrom || a.version - b.version;

/** The versions in force (none replaced), by effectiveFrom; at most one per instant (the newest). */
export function timeline<S>(versions: readonly SpecVersion<S>[]): SpecVersion<S>[] {
  const sorted = [...versions].sort(byEffect);
  return sorted.filter((v, i) => sorted[i + 1]?.effectiveFrom !== v.effectiveFrom);
}

/**
 * The index in `line` (a `timeline`) of the version in force at `ts`: the last one with effectiveFrom ≤ ts;
 * before the first version, the first (a subject's first version is in force from the beginning).
 */
export function indexInForce<S>(line: readonly SpecVersion<S>[], ts: number): number {
  let lo = 0;
  let hi = line.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (line[mid]!.effectiveFrom <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The specification in force at data time `ts` (`line` a non-empty `timeline`). */
export function inForceAt<S>(line: readonly SpecVersion<S>[], ts: number): S {
  if (line.length === 0) throw new ColdtraceError('invalid_master_data', 'a specification has no version');
  return line[indexInForce(line, ts)]!.spec;
}

/** `ts ↦ spec in force at ts`; a single version gives that one for every instant (no lookup). */
export function specAt<S>(versions: readonly SpecVersion<S>[]): (ts: number) => S {
  const line = timeline(versions);
  if (line.length === 1) {
    const only = line[0]!.spec;
    return () => only;
  }
  return (ts) => inForceAt(line, ts);
}

/** The interval `[from, to)` in which the version at `line[i]` is in force. */
export function spanOf<S>(line: readonly SpecVersion<S>[], i: number): { from: number; to: number } {
  return {
    from: i === 0 ? Number.NEGATIVE_INFINITY : line[i]!.effectiveFrom,
    to: line[i + 1]?.effectiveFrom ?? Number.POSITIVE_INFINITY,
  };
}

export interface VersionRequest<S> {
  kind: Exclude<VersionKind, 'initial'>;
  /** Data time it takes effect; −Infinity (only for a correction) = from the beginning. */
  effectiveFrom: number;
  spec: S;
  /** The data clock's now when it is signed. */
  now: number;
}

export interface VersionPlan<S> {
  /** The new version. */
  next: SpecVersion<S>;
  /** Versions in force that the new one replaces (they took effect at or after it). */
  replaced: number[];
  /** Data time from which the history must be re-evaluated. */
  reevaluateFrom: number;
}

/**
 * Plans a new version over the versions in force. An ordinary change takes effect now or later
 * (`spec_effective_in_past` otherwise: changing what applied to past readings is a retroactive
 * correction, a separately signed action); a correction takes effect in the past (or from the
 * beginning). Either replaces the versions in force from its effectiveFrom on (a scheduled future
 * version, for a change). The history is re-evaluated from effectiveFrom.
 */
export function planVersion<S>(
  inForce: readonly SpecVersion<S>[],
  allVersions: number,
  r: VersionRequest<S>,
): VersionPlan<S> {
  checkEffect(r.kind, r.effectiveFrom, r.now);
  const replaced = timeline(inForce)
    .filter((v) => v.effectiveFrom >= r.effectiveFrom)
    .map((v) => v.version);
  return {
    next: { version: allVersions + 1, effectiveFrom: r.effectiveFrom, spec: r.spec },
    replaced,
    reevaluateFrom: r.effectiveFrom,
  };
}

/**
 * An ordinary change takes effect now or later (`spec_effective_in_past` otherwise: changing what applied
 * to past readings is a retroactive correction, a separately signed action); a correction takes effect in
 * the past (or from the beginning, −Infinity).
 */
export function checkEffect(kind: Exclude<VersionKind, 'initial'>, effectiveFrom: number, now: number): void {
  if (Number.isNaN(effectiveFrom) || effectiveFrom === Number.POSITIVE_INFINITY) {
    throw new ColdtraceError('invalid', 'effectiveFrom must be an instant (epoch milliseconds)');
  }
  if (kind === 'change' && effectiveFrom < now) {
    throw new ColdtraceError(
      'spec_effective_in_past',
      `an ordinary change takes effect now or later (effectiveFrom ${iso(effectiveFrom)} is before now, ${iso(now)}): changing what applied to past readings is a retroactive correction (POST …/limits/corrections, separately signed)`,
    );
  }
  if (kind === 'correction' && effectiveFrom >= now) {
    throw new ColdtraceError(
      'invalid',
      `a retroactive correction takes effect in the past (effectiveFrom ${iso(effectiveFrom)} is not before now, ${iso(now)}): use an ordinary change (PUT …/limits)`,
    );
  }
}

/** When a signed specification change takes effect: an ordinary change (now or later) or a correction. */
export interface SpecEffect {
  kind: Exclude<VersionKind, 'initial'>;
  /** Data time it takes effect (−Infinity: a correction from the beginning). */
  effectiveFrom: number;
  /** The data clock's now (an ordinary change may not take effect before it). */
  dataNow: number;
}

/**
 * Whether `spec` from `from` on changes anything over `line` (a timeline): some version in force from
 * then on (the one in force at `from` included) has another specification.
 */
export function changesFrom<S>(
  line: readonly SpecVersion<S>[],
  from: number,
  spec: S,
  same: (a: S, b: S) => boolean,
): boolean {
  return line.slice(indexInForce(line, from)).some((v) => !same(v.spec, spec));
}

/** The specification of the newest version (in force from the latest instant) once `plan` is recorded. */
export function newestAfter<S>(line: readonly SpecVersion<S>[], plan: VersionPlan<S>): S {
  return timeline([...line.filter((v) => !plan.replaced.includes(v.version)), plan.next]).at(-1)!.spec;
}

/** `version 3 replaces version 1, version 2`, for audit texts. */
export function replacesText(plan: VersionPlan<unknown>): string {
  const replaced = plan.replaced.map((v) => `version ${v}`).join(', ');
  return `version ${plan.next.version} replaces ${replaced || 'none'}`;
}

/** An effective time as JSON (audit entries, API): null for −Infinity (from the beginning). */
export const jsonTime = (ts: number): number | null => (Number.isFinite(ts) ? ts : null);

/** An instant for messages and audit texts ('the beginning' for −Infinity). */
export function iso(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts).toISOString() : 'the beginning';
}
