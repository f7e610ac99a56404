/**
 * The one retry policy: exponential backoff from `initialMs`, multiplied by `factor` (default 2) after
 * each consecutive failure and capped at `maxMs`. Used by every reconnect and retry loop (LLRP reader
 * connector, Modbus port reopen, InfluxDB sink, outbox dispatcher). No jitter: the delays are part of
 * what tests and operators can predict.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per consecutive failure; default 2. */
  factor?: number;
}

/**
 * The delay before retry number `failures` (1 = after the first failure): `initialMs × factor^(failures−1)`,
 * capped at `maxMs`. Pure, so a schedule can be checked without timing anything.
 */
export function backoffDelayMs(failures: number, p: BackoffPolicy): number {
  const factor = p.factor ?? 2;
  if (!(failures > 1)) return Math.min(p.initialMs, p.maxMs);
  // The cap is reached long before the exponent overflows; the bound keeps the arithmetic finite.
  const steps = Math.min(failures - 1, 1024);
  const delay = p.initialMs * factor ** steps;
  return Number.isFinite(delay) ? Math.min(p.maxMs, delay) : p.maxMs;
}

/** Consecutive-failure counter over a policy: `fail()` gives the next delay, `succeed()` starts over. */
export class Backoff {
  #failures = 0;
  constructor(readonly policy: BackoffPolicy) {
    if (!(policy.initialMs >= 0) || !(policy.maxMs >= policy.initialMs) || !((policy.factor ?? 2) >= 1))
      throw new RangeError(
        `backoff needs 0 <= initialMs <= maxMs and factor >= 1, got ${JSON.stringify(policy)}`,
      );
  }
  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.#failures;
  }
  /** Records a failure; returns how long to wait before the next attempt. */
  fail(): number {
    this.#failures++;
    return backoffDelayMs(this.#failures, this.policy);
  }
  /** Records a success: the next failure waits `initialMs` again. */
  succeed(): void {
    this.#failures = 0;
  }
}
