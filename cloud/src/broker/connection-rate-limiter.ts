import type { Clock } from '@coldtrace/shared';

export interface ConnectionRate {
  /** Connections a source may open at once (e.g. every gateway of a site behind one NAT address). */
  burst: number;
  /** Connections per second a source regains, up to `burst`. */
  perSecond: number;
}

/**
 * 100 at once covers a site of up to 100 gateways behind one address reconnecting together after an
 * outage (each then backs off on its own); 10 a second afterwards. With the 10 s CONNECT timeout, one
 * address can hold at most ~200 connections that have not sent a CONNECT.
 */
export const DEFAULT_CONNECTION_RATE: ConnectionRate = { burst: 100, perSecond: 10 };

/**
 * Past this many sources, those whose bucket has refilled are forgotten (a new one starts full anyway), so
 * the map holds only sources seen within the last `burst / perSecond` seconds.
 */
const MAX_SOURCES = 10_000;

/**
 * A token bucket per source address for new TCP connections to the embedded broker: a connection takes a
 * token or is closed at once, before anything of it is read. Time from the injected clock (the wall clock).
 */
export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; refused: boolean }>();

  constructor(
    private readonly rate: ConnectionRate,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes a token for a connection from `source`. `firstRefusal` is true on the first refusal after the
   * source was last allowed, so a flood is logged once, not per connection.
   */
  take(source: string): { allowed: boolean; firstRefusal: boolean } {
    const now = this.clock.now();
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= MAX_SOURCES) this.forgetFull(now);
      b = { tokens: this.rate.burst, at: now, refused: false };
      this.buckets.set(source, b);
    } else {
      b.tokens = this.refilled(b, now);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.refused = false;
      return { allowed: true, firstRefusal: false };
    }
    const firstRefusal = !b.refused;
    b.refused = true;
    return { allowed: false, firstRefusal };
  }

  private refilled(b: { tokens: number; at: number }, now: number): number {
    return Math.min(this.rate.burst, b.tokens + (Math.max(0, now - b.at) * this.rate.perSecond) / 1000);
  }

  private forgetFull(now: number): void {
    for (const [source, b] of this.buckets) {
      if (this.refilled(b, now) >= this.rate.burst) this.buckets.delete(source);
    }
  }
}
