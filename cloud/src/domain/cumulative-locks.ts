import type { UnitRuleExposure } from './cumulative-exposure.js';
import { CUMULATIVE_CAUSE, describeMs, describeRule } from './cumulative-rules.js';
import type { LockRepo } from './locks/lock-rule.js';
import { lockSubject } from './locks/lock-subject.js';
import { type DesiredLock, type LockWording, reconcileLocks } from './locks/reconcile-locks.js';

const iso = (ts: number) => new Date(ts).toISOString();

function reachedReason(x: UnitRuleExposure): string {
  const e = x.exposure;
  return `cumulative rule ${describeRule(x.rule)} of lot ${x.lotId} reached: limit reached at ${iso(e.reachedAt!)} at ${e.reachedLocationId}; ${describeMs(e.exposedMs)} ${x.rule.kind} ${x.rule.thresholdC} °C in total`;
}

/**
 * Brings the cumulative-rule locks (`cause = 'cumulative'`) of the given units in line with their
 * computed exposures (`computed` holds every rule of every one of these units): a unit whose exposure
 * reached a rule's limit is locked pending QA under the key `cumulative:<lot>:<rule>` (or a lifted lock is
 * reinstated); a lock whose rule late data shows not reached is lifted only if it is active, not held and
 * no QA decision touched it, as for excursions; released and rejected locks stay as signed. A lock whose
 * rule no longer applies (the product's rules changed: the key names the lot and the rule) follows a
 * master-data change, which never lifts a lock: it is held pending QA (docs/architecture.md "Affected stock
 * and locks"). Every change is audited and sent as a lock/unlock event with `cause: 'cumulative'`, in the
 * caller's derive transaction.
 */
export async function applyCumulativeLocks(
  repo: LockRepo,
  epcs: readonly string[],
  computed: readonly UnitRuleExposure[],
): Promise<void> {
  const existing = await repo.locks(CUMULATIVE_CAUSE, { epcs });
  const desired: ReachedLock[] = computed
    .filter((x) => x.exposure.exceeded)
    .map((x) => ({
      epc: x.epc,
      key: x.key,
      locationId: x.exposure.reachedLocationId!,
      from: x.exposure.reachedAt!,
      to: null,
      lotId: x.lotId,
      x,
    }));
  const plan = reconcileLocks(existing, desired, cumulativeWording(computed));
  await repo.applyLockPlan(CUMULATIVE_CAUSE, plan);
}

/** A lock a reached cumulative rule wants, with the computed exposure its texts quote. */
interface ReachedLock extends DesiredLock {
  x: UnitRuleExposure;
}

function cumulativeWording(computed: readonly UnitRuleExposure[]): LockWording<ReachedLock> {
  const byLock = new Map(computed.map((x) => [`${x.epc}|${x.key}`, x]));
  const rules = new Map(computed.map((x) => [x.key, x.rule]));
  const facts = (d: ReachedLock) => ({
    epc: d.epc,
    lockKey: lockSubject(CUMULATIVE_CAUSE, d.key),
    cause: CUMULATIVE_CAUSE,
    exposedMs: d.x.exposure.exposedMs,
    limitMs: d.x.rule.limitMs,
    reachedAt: d.from,
    location: d.locationId,
  });
  return {
    cause: CUMULATIVE_CAUSE,
    reason: (d) => reachedReason(d.x),
    audited: (text) => text,
    created: (d) => ({ ...facts(d), state: 'active' }),
    reinstated: (d) => ({ ...facts(d), state: 'active' }),
    // Late data moved the instant the limit was reached: recorded; a signed decision stands.
    windowChange: (row, d) =>
      row.exposed_from === d.from && row.location_id === d.locationId
        ? null
        : {
            set: {
              exposed_from: d.from,
              location_id: d.locationId,
              ...(row.state === 'active' ? { reason: reachedReason(d.x) } : {}),
            },
            before: { state: row.state, reachedAt: row.exposed_from, location: row.location_id },
            after: { state: row.state, reachedAt: d.from, location: d.locationId },
            reason: `late data: ${reachedReason(d.x)}`,
          },
    removal: (row) => {
      const x = byLock.get(`${row.epc}|${row.key}`);
      if (!x) {
        return {
          kind: 'hold',
          why: `cumulative rule ${lockSubject(CUMULATIVE_CAUSE, row.key)} no longer applies to ${row.epc} (the product's rules changed)`,
        };
      }
      return {
        kind: 'lift',
        reason: `late data shows ${row.epc} spent ${describeMs(x.exposure.exposedMs)} ${x.rule.kind} ${x.rule.thresholdC} °C: cumulative rule ${describeRule(x.rule)} not reached`,
        before: { state: 'active', cause: CUMULATIVE_CAUSE, reachedAt: row.exposed_from },
        after: { state: 'lifted', exposedMs: x.exposure.exposedMs },
      };
    },
    eventReason: (d) => `cumulative rule ${describeRule(d.x.rule)} reached`,
    eventExtra: (key) => {
      const r = rules.get(key);
      return r
        ? { cause: 'cumulative', rule: { kind: r.kind, thresholdC: r.thresholdC, limitMs: r.limitMs } }
        : { cause: 'cumulative' };
    },
  };
}
