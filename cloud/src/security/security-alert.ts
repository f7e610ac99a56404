/** An alert that security events crossed their threshold: what the integration event and the trail carry. */
export interface SecurityAlert {
  /** Events counted in the window that ended at `at` (all of them, recorded on the trail or not). */
  count: number;
  windowMs: number;
  /** Counts by event name. */
  byEvent: Record<string, number>;
  /** Epoch ms (wall clock). */
  at: number;
}

/**
 * Decides when security events amount to an alert (21 CFR 11.300(d): unauthorized use reported urgently):
 * `threshold` events of the watched kinds within `windowMs` raise one alert; another is raised only once a
 * full window has passed since, so a sustained attack gives one alert per window, not one per event. Events
 * are counted per second (an event stays in the window until its whole second is older). Pure: time is
 * passed in.
 */
export class SecurityAlertRule {
  /** Counts per second (so a flood costs one bucket per second, not one entry per event), oldest first. */
  private readonly buckets: Array<{ second: number; total: number; byEvent: Map<string, number> }> = [];
  private total = 0;
  private lastAlertAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly events: ReadonlySet<string> | undefined,
  ) {}

  /** Counts one event; returns the alert when this event crosses the threshold. */
  observe(event: string, now: number): SecurityAlert | null {
    if (this.events && !this.events.has(event)) return null;
    const second = Math.floor(now / 1000);
    let last = this.buckets.at(-1);
    if (last?.second !== second) {
      last = { second, total: 0, byEvent: new Map() };
      this.buckets.push(last);
    }
    last.total++;
    last.byEvent.set(event, (last.byEvent.get(event) ?? 0) + 1);
    this.total++;
    // A bucket leaves the window once all of its second is older than the window.
    while (this.buckets.length > 0 && now - (this.buckets[0]!.second * 1000 + 999) >= this.windowMs) {
      this.total -= this.buckets.shift()!.total;
    }
    if (this.total < this.threshold || now - this.lastAlertAt < this.windowMs) return null;
    this.lastAlertAt = now;
    const byEvent: Record<string, number> = {};
    for (const b of this.buckets) for (const [e, n] of b.byEvent) byEvent[e] = (byEvent[e] ?? 0) + n;
    return { count: this.total, windowMs: this.windowMs, byEvent, at: now };
  }
}
