/**
 * Which digest batches of archived readings may be deleted (docs/operations.md "Deleting archived
 * readings"). A batch goes whole or not at all, and only when nothing the domain still derives from raw
 * readings can reach it: the rules here are the one place that decides.
 */

/** The excursion report's chart margin around an excursion: a quarter of its duration, at least 30 minutes. */
export const chartMarginOf = (durationMs: number) => Math.max(30 * 60_000, durationMs / 4);

/** Why a batch is kept. */
export type KeepReason =
  /** Some of its readings are not in the archive (a batch across the month's edge). */
  | 'outside_archive'
  /** A location not in master data: creating it would evaluate its whole history. */
  | 'unknown_location'
  /** The location has evaluation marks not yet cleared (readings or changes not yet evaluated). */
  | 'pending_evaluation'
  /** Inside an excursion or its report's chart margin (an open excursion: from its start on). */
  | 'excursion'
  /** Goods were at the location (custody): cumulative exposure, lot MKT, lot temperature, EPCIS. */
  | 'custody'
  /**
   * The sensor has no stored in-range reading at the location after it: an evaluation reaching back to
   * the sensor's last in-range reading (docs/domain.md "Evaluation") would land before the deleted
   * stretch and read it as a monitoring gap.
   */
  | 'no_later_reading';

export const KEEP_REASONS: readonly KeepReason[] = [
  'outside_archive',
  'unknown_location',
  'pending_evaluation',
  'excursion',
  'custody',
  'no_later_reading',
];

/** What the domain holds at a location, as far as the batches being decided can reach it. */
export interface LocationFacts {
  known: boolean;
  pendingMarks: boolean;
  excursions: ReadonlyArray<{ start_ts: number; end_ts: number | null; last_ts: number }>;
  /** Custody intervals [entered_at, left_at) at the location (left_at null: still there). */
  custody: ReadonlyArray<{ entered_at: number; left_at: number | null }>;
  /** Per sensor, the data time of its newest stored reading within the location's limits. */
  lastInRange: ReadonlyMap<string, number>;
}

export interface BatchReading {
  sensor_id: string;
  location_id: string;
  ts: number;
}

/** Per location, the data-time span of a batch's readings there. */
export function locationSpans(
  readings: readonly BatchReading[],
): Array<{ location_id: string; from_ts: number; to_ts: number }> {
  const spans = new Map<string, { location_id: string; from_ts: number; to_ts: number }>();
  for (const r of readings) {
    const ts = Number(r.ts);
    const s = spans.get(r.location_id);
    if (!s) spans.set(r.location_id, { location_id: r.location_id, from_ts: ts, to_ts: ts });
    else {
      s.from_ts = Math.min(s.from_ts, ts);
      s.to_ts = Math.max(s.to_ts, ts);
    }
  }
  return [...spans.values()].sort((a, b) => (a.location_id < b.location_id ? -1 : 1));
}

const inExcursionMargin = (ts: number, e: LocationFacts['excursions'][number]) => {
  const start = Number(e.start_ts);
  if (e.end_ts === null) return ts >= start - chartMarginOf(0);
  const end = Number(e.end_ts);
  const margin = chartMarginOf(end - start);
  return ts >= start - margin && ts <= end + margin;
};

const inCustody = (ts: number, c: LocationFacts['custody'][number]) =>
  ts >= Number(c.entered_at) && (c.left_at === null || ts < Number(c.left_at));

/** Why this batch (all of whose readings are in the archive) must stay, or undefined: it may be deleted. */
export function keepReason(
  readings: readonly BatchReading[],
  factsOf: (locationId: string) => LocationFacts,
): KeepReason | undefined {
  const order: KeepReason[] = [];
  for (const r of readings) {
    const f = factsOf(r.location_id);
    const ts = Number(r.ts);
    if (!f.known) order.push('unknown_location');
    else if (f.pendingMarks) order.push('pending_evaluation');
    else if (f.excursions.some((e) => inExcursionMargin(ts, e))) order.push('excursion');
    else if (f.custody.some((c) => inCustody(ts, c))) order.push('custody');
    else if (!((f.lastInRange.get(r.sensor_id) ?? Number.NEGATIVE_INFINITY) > ts))
      order.push('no_later_reading');
  }
  return KEEP_REASONS.find((k) => order.includes(k));
}
