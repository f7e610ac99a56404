/** Reconnect policy of the reader connector. */
export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before reconnect attempt number `failures` (1 = after the first failure): doubles from
 * `initialMs` and is capped at `maxMs`. Pure, so tests can check the schedule without timing anything.
 */
export function reconnectDelayMs(failures: number, cfg: BackoffConfig): number {
  if (failures <= 1) return Math.min(cfg.initialMs, cfg.maxMs);
  const doublings = Math.min(failures - 1, 52);
  return Math.min(cfg.maxMs, cfg.initialMs * 2 ** doublings);
}
