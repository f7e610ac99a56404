/** A stay of a lot at a location: its units' custody intervals there, merged where they overlap. */
export interface LotStay {
  locationId: string;
  /** When the first of these units entered. */
  from: number;
  /** When the last of them left; null while one is still there. */
  to: number | null;
  /** Distinct units of the lot in this stay. */
  units: number;
}

/** A custody interval `[entered_at, left_at)` of one of the lot's units. */
export interface UnitCustody {
  epc: string;
  location_id: string;
  entered_at: number;
  left_at: number | null;
}

/**
 * docs/architecture.md "Custody": the lot's custody timeline. `intervals` must be ordered by location, then
 * entry time; intervals at one location that overlap or touch (units that moved together) become one stay.
 * Ordered by time, then location.
 */
export function mergeLotStays(intervals: readonly UnitCustody[]): LotStay[] {
  const stays: Array<LotStay & { epcs: Set<string> }> = [];
  let open: (LotStay & { epcs: Set<string> }) | undefined;
  for (const r of intervals) {
    if (open && open.locationId === r.location_id && (open.to === null || r.entered_at <= open.to)) {
      open.to = open.to === null || r.left_at === null ? null : Math.max(open.to, r.left_at);
      open.epcs.add(r.epc);
      continue;
    }
    open = { locationId: r.location_id, from: r.entered_at, to: r.left_at, units: 0, epcs: new Set([r.epc]) };
    stays.push(open);
  }
  return stays
    .map(({ epcs, ...s }) => ({ ...s, units: epcs.size }))
    .sort((a, b) => a.from - b.from || a.locationId.localeCompare(b.locationId));
}
