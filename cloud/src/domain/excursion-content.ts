import type { LocationExcursion } from '@coldtrace/shared';
import type { StoredExcursion } from './location-evaluation.js';

/** Identity and content of a location excursion as stored, and how a recomputation changed it. */
/** Stable id of a new location excursion: its location and start time. */
export function excursionId(locationId: string, startTs: number): string {
  return `${locationId}@${new Date(startTs).toISOString()}`;
}

/** The stored content of a recomputed excursion (no identity, no bookkeeping). */
export function excursionContent(e: LocationExcursion) {
  return {
    start_ts: e.startTs,
    end_ts: e.endTs,
    last_ts: e.lastTs,
    excursion_at: e.excursionAt,
    duration_ms: e.durationMs,
    min_c: e.minC,
    max_c: e.maxC,
    peak_c: e.peakC,
    critical: e.critical ? 1 : 0,
    degree_minutes: e.degreeMinutes,
    mkt_c: e.mktC,
    sensor_ids: e.sensorIds.join(','),
    state: e.endTs === null ? 'ongoing' : 'closed',
    out_of_range_ms: e.outOfRangeMs,
  };
}
export type Content = ReturnType<typeof excursionContent>;

export function contentOfRow(r: StoredExcursion): Content {
  return {
    start_ts: r.start_ts,
    end_ts: r.end_ts,
    last_ts: r.last_ts,
    excursion_at: r.excursion_at,
    duration_ms: r.duration_ms,
    min_c: r.min_c,
    max_c: r.max_c,
    peak_c: r.peak_c,
    critical: r.critical,
    degree_minutes: r.degree_minutes,
    mkt_c: r.mkt_c,
    sensor_ids: r.sensor_ids,
    state: r.state,
    out_of_range_ms: r.out_of_range_ms,
  };
}

export const sameContent = (a: Content, b: Content) =>
  (Object.keys(a) as Array<keyof Content>).every((k) => a[k] === b[k]);

export function changeAction(before: Content, after: Content): string {
  if (before.end_ts === null && after.end_ts !== null) return 'excursion.closed';
  if (before.end_ts !== null && after.end_ts === null) return 'excursion.reopened';
  if (after.duration_ms > before.duration_ms || after.start_ts < before.start_ts) return 'excursion.extended';
  if (after.duration_ms < before.duration_ms) return 'excursion.shrunk';
  return 'excursion.updated';
}
