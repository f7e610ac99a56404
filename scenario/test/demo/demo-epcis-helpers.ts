import type { Scenario } from '../../src/scenario-schema.js';
import { resolveUnits, unitEpc } from '../../src/units.js';

/** The parts of an EPCIS 2.0 JSON-LD document (EPCIS 2.0 §8) the demo test reads. */
export interface EpcisDoc {
  type: string;
  epcisBody: { eventList: EpcisEventView[] };
}

export interface EpcisEventView {
  type: string;
  eventTime: string;
  action?: string;
  bizStep?: string;
  disposition?: string;
  epcList?: string[];
  readPoint?: { id: string };
  bizLocation?: { id: string };
  persistentDisposition?: { set?: string[]; unset?: string[] };
  sensorElementList?: Array<{
    sensorMetadata: { startTime: string; endTime: string; deviceID: string };
    sensorReport: Array<{
      type: string;
      minValue: number;
      maxValue: number;
      meanValue?: number;
      uom: string;
    }>;
  }>;
  [extension: string]: unknown;
}

type Lot = Scenario['lots'][number];

/**
 * The lot's units: EPC hex (upper case) → SGTIN pure-identity URI, built from the lot's own fields
 * (GS1 TDS 2.x §6.3.1: `urn:epc:id:sgtin:<company prefix>.<indicator + item ref>.<serial>`), not
 * through the exporter's decoder.
 */
export function lotUnits(lot: Lot): Map<string, string> {
  const itemRef = lot.itemRef.padStart(13 - lot.companyPrefix.length, '0');
  const out = new Map<string, string>();
  for (let i = 0; i < lot.serials.count; i++) {
    const serial = lot.serials.from + i;
    out.set(unitEpc(lot, serial).toUpperCase(), `urn:epc:id:sgtin:${lot.companyPrefix}.${itemRef}.${serial}`);
  }
  return out;
}

/** Sorted distinct members of the lists. */
export function union(lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}

export interface ExpectedPass {
  portal: string;
  from: string;
  to: string;
  /** Scenario time of the move (ms from the start). */
  atMs: number;
  bizStep: string;
  disposition: string | undefined;
}

/**
 * CBV 2.0 §7.1 / §7.2 for the location kinds the demo's doors join (see docs/epcis.md): a site handing
 * stock to a vehicle ships it (in transit), a site taking it from a vehicle receives it (in progress).
 */
const CBV_PASS: Record<string, { bizStep: string; disposition?: string }> = {
  'room>vehicle': { bizStep: 'shipping', disposition: 'in_transit' },
  'store>vehicle': { bizStep: 'shipping', disposition: 'in_transit' },
  'vehicle>room': { bizStep: 'receiving', disposition: 'in_progress' },
  'vehicle>store': { bizStep: 'receiving', disposition: 'in_progress' },
};

/** The passes the scenario's timeline makes with units of the lot, with the CBV semantics expected. */
export function expectedPasses(s: Scenario, lotId: string): ExpectedPass[] {
  const lot = s.lots.find((l) => l.id === lotId);
  if (!lot) throw new Error(`no lot ${lotId} in the scenario`);
  const mine = lotUnits(lot);
  const kind = (id: string) => s.locations.find((l) => l.id === id)?.kind ?? 'other';
  const out: ExpectedPass[] = [];
  for (const e of s.timeline) {
    if (!('move' in e)) continue;
    if (!resolveUnits(s, e.move.units).some((epc) => mine.has(epc.toUpperCase()))) continue;
    const portal = s.gateways.flatMap((g) => g.portals).find((p) => p.id === e.move.portal);
    if (!portal) throw new Error(`no portal ${e.move.portal} in the scenario`);
    // docs/scenarios.md: direction `in` = into the portal's `inside` location.
    const [from, to] =
      e.move.direction === 'in' ? [portal.outside, portal.inside] : [portal.inside, portal.outside];
    const cbv = CBV_PASS[`${kind(from)}>${kind(to)}`];
    if (!cbv) throw new Error(`the test has no CBV expectation for a pass ${kind(from)} → ${kind(to)}`);
    out.push({ portal: portal.id, from, to, atMs: e.at, bizStep: cbv.bizStep, disposition: cbv.disposition });
  }
  return out;
}

const endsWith = (id: string | undefined, suffix: string): boolean => id?.endsWith(suffix) === true;

/** Pass events of one portal between two locations (readPoint = portal, bizLocation = destination). */
export function passEvents(events: readonly EpcisEventView[], p: ExpectedPass): EpcisEventView[] {
  return events.filter(
    (e) =>
      endsWith(e.readPoint?.id, `/portals/${encodeURIComponent(p.portal)}`) &&
      endsWith(e.bizLocation?.id, `/locations/${encodeURIComponent(p.to)}`) &&
      endsWith(e['ct:fromLocation'] as string | undefined, `/locations/${encodeURIComponent(p.from)}`),
  );
}

/** `sensor_reporting` events of custody intervals at a location. */
export function sensorEvents(events: readonly EpcisEventView[], locationId: string): EpcisEventView[] {
  return events.filter(
    (e) =>
      e.bizStep === 'sensor_reporting' &&
      endsWith(e.bizLocation?.id, `/locations/${encodeURIComponent(locationId)}`),
  );
}

/** Lock events: `persistentDisposition.set` of the lock disposition, and any `unset` (EPCIS 2.0 §7.4.2). */
export function lockEvents(events: readonly EpcisEventView[]): {
  set: EpcisEventView[];
  unset: EpcisEventView[];
} {
  return {
    set: events.filter((e) => e.persistentDisposition?.set?.includes('non_sellable_other')),
    unset: events.filter((e) => (e.persistentDisposition?.unset?.length ?? 0) > 0),
  };
}
