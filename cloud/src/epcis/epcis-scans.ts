import { escapeEpcUriComponent } from '@coldtrace/shared';
import type { EpcisScan } from './epcis-input.js';

/**
 * CBV 2.0 terms of a scan station's direction (docs/barcode.md "Stations"): receiving → `receiving`
 * (disposition `in_progress`), dispatch → `shipping` (`in_transit`), putaway → `storing`, picking → `picking`.
 * Receiving and putaway bring units to the station's location (its bizLocation); dispatch and picking take
 * them away from it (no bizLocation: where they go is not known; `ct:fromLocation` names it).
 */
export const SCAN_TERMS = {
  receiving: { bizStep: 'receiving', disposition: 'in_progress', arrives: true },
  dispatch: { bizStep: 'shipping', disposition: 'in_transit', arrives: false },
  putaway: { bizStep: 'storing', disposition: null, arrives: true },
  picking: { bizStep: 'picking', disposition: null, arrives: false },
} as const;

/**
 * The class of units of a GTIN and lot: the LGTIN pure-identity class URI (TDS 2.x §6.3.11,
 * `urn:epc:class:lgtin:<company prefix>.<indicator + item reference>.<lot>`) when the company prefix length
 * is known, else the same class as a GS1 Digital Link URI (`https://id.gs1.org/01/<gtin>/10/<lot>`), which
 * EPCIS 2.0 accepts and which needs no prefix length.
 */
export function lgtinUri(gtin: string, lot: string, companyPrefixLength: number | null | undefined): string {
  const len = companyPrefixLength ?? null;
  if (len === null || len < 6 || len > 12)
    return `https://id.gs1.org/01/${gtin}/10/${encodeURIComponent(lot)}`;
  const prefix = gtin.slice(1, 1 + len);
  const item = `${gtin[0]}${gtin.slice(1 + len, 13)}`;
  return `urn:epc:class:lgtin:${prefix}.${item}.${escapeEpcUriComponent(lot)}`;
}

export interface ScanGroup {
  stationId: string;
  locationId: string;
  direction: EpcisScan['direction'];
  firstTs: number;
  /** EPCs (hex) of the serialised units scanned. */
  epcs: string[];
  /** Units without serial, counted per class URI. */
  quantities: Map<string, number>;
}

/**
 * Scans at one station, location and direction within the window of the group's first (in time order, as
 * `groupPasses` does for a door crossing): one event, its serialised units in `epcList` and its units
 * without serial counted per LGTIN in `quantityList`.
 */
export function groupScans(scans: readonly EpcisScan[], windowMs: number): ScanGroup[] {
  const sorted = [...scans].sort(
    (a, b) => a.ts - b.ts || a.gatewayId.localeCompare(b.gatewayId) || a.seq - b.seq,
  );
  const open = new Map<string, ScanGroup>();
  const out: ScanGroup[] = [];
  for (const s of sorted) {
    const key = JSON.stringify([s.stationId, s.locationId, s.direction]);
    let g = open.get(key);
    if (!g || s.ts > g.firstTs + windowMs) {
      g = {
        stationId: s.stationId,
        locationId: s.locationId,
        direction: s.direction,
        firstTs: s.ts,
        epcs: [],
        quantities: new Map(),
      };
      open.set(key, g);
      out.push(g);
    }
    if (s.epc !== null) g.epcs.push(s.epc);
    else if (s.gtin !== null && s.lot !== null) {
      const cls = lgtinUri(s.gtin, s.lot, s.companyPrefixLength);
      g.quantities.set(cls, (g.quantities.get(cls) ?? 0) + 1);
    }
  }
  return out.filter((g) => g.epcs.length > 0 || g.quantities.size > 0);
}
