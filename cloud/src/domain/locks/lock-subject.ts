import type { LockCause } from './reconcile-locks.js';

/** Prefixes of the public ids of what the non-excursion rules lock for. */
const PREFIX: Record<Exclude<LockCause, 'excursion'>, string> = {
  cumulative: 'cumulative:',
  rate_of_change: 'rate:',
};

/**
 * The public id of what a lock is for (docs/architecture.md "Lock rules"): what dispositions decide on and
 * lock events and the API name as `excursionId`. An excursion's id as it is; a cumulative rule's key as
 * `cumulative:<lot>:<rule>`; a rate alarm's as `rate:<alarm>`.
 */
export function lockSubject(cause: string, key: string): string {
  return cause === 'excursion' ? key : `${PREFIX[cause as keyof typeof PREFIX] ?? `${cause}:`}${key}`;
}

/** The rule and key a public id names, when it is not an excursion's (callers look for the excursion first). */
export function subjectKey(subject: string): { cause: LockCause; key: string } | undefined {
  for (const [cause, prefix] of Object.entries(PREFIX) as Array<[LockCause, string]>) {
    if (subject.startsWith(prefix)) return { cause, key: subject.slice(prefix.length) };
  }
  return undefined;
}
