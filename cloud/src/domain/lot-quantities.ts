/** A scan of a unit without serial (`scans` with no EPC): one unit of its lot in or out at a location. */
export interface QuantityScan {
  location_id: string;
  ts: number;
  /** The station's direction: receiving | putaway (in), dispatch | picking (out). */
  direction: string;
}

/** An excursion at a location (`withdrawn` ones are left out by the caller). */
export interface QuantityExcursion {
  id: string;
  location_id: string;
  start_ts: number;
  end_ts: number | null;
}

export interface QuantityExposure {
  excursionId: string;
  from: number;
  to: number | null;
  /** The most units of the lot on hand at the location at any time of the excursion. */
  units: number;
}

export interface LocationQuantity {
  locationId: string;
  scannedIn: number;
  scannedOut: number;
  /** Units on hand now: scanned in minus scanned out, never below zero. */
  onHand: number;
  firstScanAt: number;
  lastScanAt: number;
  exposures: QuantityExposure[];
}

const goesIn = (d: string) => d === 'receiving' || d === 'putaway';

/**
 * docs/barcode.md "Quantity custody": units scanned without a serial have no identity, so their lot is
 * counted per location: each scan in adds one, each scan out removes one (never below zero: an out scan of
 * a unit whose in scan was missed does not make stock negative). A location's count during an excursion
 * there is the lot's quantity exposure: the most units on hand at any time of it, including those there when
 * it began. A pure function of the set of scans (sorted by time, ins before outs at one instant).
 */
export function lotQuantities(
  scans: readonly QuantityScan[],
  excursions: readonly QuantityExcursion[],
): LocationQuantity[] {
  const byLocation = new Map<string, QuantityScan[]>();
  for (const s of scans) {
    const list = byLocation.get(s.location_id);
    if (list) list.push(s);
    else byLocation.set(s.location_id, [s]);
  }
  const out: LocationQuantity[] = [];
  for (const [locationId, list] of [...byLocation].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) => a.ts - b.ts || Number(goesIn(b.direction)) - Number(goesIn(a.direction)));
    // The count after each scan: steps [ts, count].
    const steps: Array<[number, number]> = [];
    let n = 0;
    let ins = 0;
    for (const s of list) {
      if (goesIn(s.direction)) {
        ins++;
        n++;
      } else if (n > 0) n--;
      steps.push([s.ts, n]);
    }
    const exposures: QuantityExposure[] = [];
    for (const e of excursions) {
      if (e.location_id !== locationId) continue;
      let units = 0;
      let before = 0;
      for (const [ts, count] of steps) {
        if (ts <= e.start_ts) before = count;
        else if (e.end_ts === null || ts < e.end_ts) units = Math.max(units, count);
      }
      units = Math.max(units, before);
      if (units > 0) exposures.push({ excursionId: e.id, from: e.start_ts, to: e.end_ts, units });
    }
    exposures.sort((a, b) => a.from - b.from || (a.excursionId < b.excursionId ? -1 : 1));
    out.push({
      locationId,
      scannedIn: ins,
      scannedOut: list.length - ins,
      onHand: n,
      firstScanAt: list[0]!.ts,
      lastScanAt: list[list.length - 1]!.ts,
      exposures,
    });
  }
  return out;
}
