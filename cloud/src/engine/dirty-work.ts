import { ALL_TIME, type TimeWindow } from '../domain/location-evaluation.js';
import { mergeSpans, type SensorSpan } from '../domain/reading-tails.js';

/**
 * A location's dirty window as ingest reports it: event time, and optionally the temperature span of the
 * readings (lets the engine tell a possibly lock-deciding batch, one with out-of-range readings, apart).
 */
export interface ReadingWindow extends TimeWindow {
  minC?: number | undefined;
  maxC?: number | undefined;
  /** Per sensor, its readings in the window as ingest saw them (lets an in-range window be skipped). */
  sensors?: ReadonlyMap<string, SensorSpan> | undefined;
  /** Ids of the evaluation marks committed with these readings (deleted when the window is skipped). */
  marks?: readonly number[] | undefined;
}

/**
 * What the domain engine has to recompute, in memory: only schedules and ranks the work (what is dirty is
 * durable as evaluation marks, 0006). Windows of one location coalesce until its next evaluation.
 */
export class DirtyWork {
  readonly locations = new Map<string, ReadingWindow>();
  /** Dirty locations whose new readings may decide an excursion (and so a lock): evaluated first. */
  readonly urgent = new Set<string>();
  readonly epcs = new Set<string>();
  /** Products whose rules changed: their units are re-evaluated by the lock rules. */
  readonly products = new Set<string>();

  /**
   * Adds windows (a location alone: its whole history); `mayDecide` tells which make their location urgent.
   * Returns whether any did.
   */
  addReadings(
    windows: ReadonlyMap<string, ReadingWindow> | Iterable<string>,
    mayDecide: (locationId: string, w: ReadingWindow) => boolean,
  ): boolean {
    const entries: Array<[string, ReadingWindow]> =
      windows instanceof Map
        ? [...windows.entries()]
        : [...(windows as Iterable<string>)].map((id) => [id, ALL_TIME]);
    let urgent = false;
    for (const [id, w] of entries) {
      const cur = this.locations.get(id);
      this.locations.set(
        id,
        cur
          ? {
              fromTs: Math.min(cur.fromTs, w.fromTs),
              toTs: Math.max(cur.toTs, w.toTs),
              sensors: mergeSpans(cur.sensors, w.sensors),
              marks: [...(cur.marks ?? []), ...(w.marks ?? [])],
            }
          : { fromTs: w.fromTs, toTs: w.toTs, sensors: w.sensors, marks: w.marks },
      );
      if (mayDecide(id, w)) {
        this.urgent.add(id);
        urgent = true;
      }
    }
    return urgent;
  }

  /** Takes a location's window out (no longer urgent either); undefined when it is not dirty. */
  take(locationId: string): ReadingWindow | undefined {
    const w = this.locations.get(locationId);
    this.urgent.delete(locationId);
    if (w) this.locations.delete(locationId);
    return w;
  }

  /** Whether anything is dirty. */
  any(): boolean {
    return this.epcs.size > 0 || this.locations.size > 0 || this.products.size > 0;
  }
}
