export type UnitLockState = 'locked' | 'rejected' | 'released' | 'free';

/**
 * A unit's state over all its locks (docs/architecture.md "Affected stock and locks"): an active lock wins
 * (the unit stays locked while any exposure awaits QA), then a rejection, then a release.
 */
export function unitLockState(locks: ReadonlyArray<{ state: string }>): UnitLockState {
  if (locks.some((l) => l.state === 'active')) return 'locked';
  if (locks.some((l) => l.state === 'rejected')) return 'rejected';
  if (locks.some((l) => l.state === 'released')) return 'released';
  return 'free';
}
