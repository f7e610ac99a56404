/** What to do with one security event of a key: record it, or only count it (a burst beyond the limit). */
export interface BurstDecision {
  record: boolean;
  /** Events of this key left off the trail in its previous window, to be stated on the entry recorded now. */
  suppressedBefore: number;
}

/** A key whose events were left off the trail and not yet stated on a later entry. */
export interface SuppressedCount {
  key: string;
  suppressed: number;
  /** When its window began (epoch ms, wall clock). */
  since: number;
}

interface Window {
  start: number;
  count: number;
  suppressed: number;
}

/**
 * Bounds how many entries one repeated security event writes to the audit trail: per key (event and
 * source), at most `max` per window of `windowMs`; beyond that the events are counted, and the count is
 * stated on the next entry of that key (or in a summary entry when the key is evicted or at shutdown), so
 * the trail says how many happened without a hostile client filling it. Pure: time is passed in.
 */
export class EventBurstLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    /** Keys tracked at once; the oldest are evicted (their counts returned by `admit`). */
    private readonly maxKeys = 10_000,
  ) {}

  admit(key: string, now: number): BurstDecision & { evicted: SuppressedCount[] } {
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      if (w.count < this.max) {
        w.count++;
        return { record: true, suppressedBefore: 0, evicted: [] };
      }
      w.suppressed++;
      return { record: false, suppressedBefore: 0, evicted: [] };
    }
    const suppressedBefore = w?.suppressed ?? 0;
    // Re-inserted last, so the map's order is the order of window starts (oldest first).
    this.windows.delete(key);
    this.windows.set(key, { start: now, count: 1, suppressed: 0 });
    return { record: true, suppressedBefore, evicted: this.evict(now) };
  }

  /** Every count not yet stated (at shutdown); forgets all windows. */
  drain(): SuppressedCount[] {
    const out = [...this.windows]
      .filter(([, w]) => w.suppressed > 0)
      .map(([key, w]) => ({ key, suppressed: w.suppressed, since: w.start }));
    this.windows.clear();
    return out;
  }

  private evict(now: number): SuppressedCount[] {
    const out: SuppressedCount[] = [];
    for (const [key, w] of this.windows) {
      if (this.windows.size <= this.maxKeys && now - w.start < this.windowMs) break;
      this.windows.delete(key);
      if (w.suppressed > 0) out.push({ key, suppressed: w.suppressed, since: w.start });
    }
    return out;
  }
}
