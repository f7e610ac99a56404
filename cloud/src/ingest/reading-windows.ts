import type { Reading } from '@coldtrace/shared';
import { addToSpans, type SensorSpan } from '../domain/reading-tails.js';

/** What a committed batch tells the domain engine of one location (`IngestorOptions.onReadings`). */
export interface CommittedWindow {
  fromTs: number;
  toTs: number;
  minC?: number;
  maxC?: number;
  sensors?: ReadonlyMap<string, SensorSpan>;
  /** The evaluation mark committed with these readings (0006). */
  marks?: readonly number[];
}

/**
 * Per location of a committed readings batch: the event-time window and the temperature span (a null
 * reading counts as out of any range: it may open a gap), so the domain engine can rank lock-deciding
 * batches. Per sensor, the readings' span and largest step, so the domain engine can skip a window that
 * cannot change any derived state without reading it back.
 */
export function readingWindows(
  records: readonly Reading[],
  marks: ReadonlyMap<string, number> | undefined,
): Map<string, CommittedWindow> {
  const windows = new Map<
    string,
    {
      fromTs: number;
      toTs: number;
      minC: number;
      maxC: number;
      sensors: Map<string, SensorSpan>;
      marks?: readonly number[];
    }
  >();
  for (const x of records) {
    const t = x.tempC;
    const lo = t ?? Number.NEGATIVE_INFINITY;
    const hi = t ?? Number.POSITIVE_INFINITY;
    const w = windows.get(x.locationId);
    if (!w) {
      const sensors = new Map<string, SensorSpan>();
      addToSpans(sensors, x.sensorId, x.ts, t);
      windows.set(x.locationId, { fromTs: x.ts, toTs: x.ts, minC: lo, maxC: hi, sensors });
    } else {
      addToSpans(w.sensors, x.sensorId, x.ts, t);
      if (x.ts < w.fromTs) w.fromTs = x.ts;
      if (x.ts > w.toTs) w.toTs = x.ts;
      if (lo < w.minC) w.minC = lo;
      if (hi > w.maxC) w.maxC = hi;
    }
  }
  // The store committed an evaluation mark per location with the readings (durable: a crash before the
  // evaluation loses nothing); its id lets a skipped window clear it.
  for (const [loc, id] of marks ?? []) {
    const w = windows.get(loc);
    if (w) w.marks = [id];
  }
  return windows;
}
