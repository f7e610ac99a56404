import { createHash } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import { LOCK_DISPOSITION, LOCK_END_DISPOSITION, passSemantics } from './biz-step.js';
import { groupCustody, groupingWindowMs, groupLocks, groupPasses } from './epcis-grouping.js';
import { holdEvents } from './epcis-holds.js';
import { EpcisUris, epcUri } from './epcis-identifiers.js';
import type {
  EpcisExportInput,
  EpcisInexactSpan,
  EpcisLocation,
  EpcisReading,
  EpcisReadingBucket,
} from './epcis-input.js';
import { groupScans, SCAN_TERMS } from './epcis-scans.js';
import {
  bucketsCross,
  hasReading,
  meanIsSettled,
  round3,
  type SortedBuckets,
  sensorStats,
  sortBuckets,
} from './epcis-sensor-stats.js';

/** EPCIS 2.0 §8.6: the standard JSON-LD context of an EPCIS document. */
export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** Namespace of coldtrace's user extension fields (`ct:lockId`, …), EPCIS 2.0 §7.6 / §8.2.7. */
export const COLDTRACE_EPCIS_NS = 'urn:coldtrace:epcis:';

export type EpcisEvent = Record<string, unknown> & {
  type: 'ObjectEvent';
  eventTime: string;
  eventTimeZoneOffset: string;
  eventID: string;
};

export interface EpcisDocument {
  '@context': [string, Record<string, string>];
  type: 'EPCISDocument';
  schemaVersion: '2.0';
  creationDate: string;
  id?: string;
  epcisBody: { eventList: EpcisEvent[] };
}

/** EPCIS 2.0 §7.3.6.1 / JSON schema: `±hh:mm`, hours 00-13 (or 14:00). */
const TZ_OFFSET = /^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$/;

const iso = (ts: number, what: string): string => {
  if (!Number.isFinite(ts))
    throw new ColdtraceError('invalid', `${what}: time ${ts} is not epoch milliseconds`);
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) throw new ColdtraceError('invalid', `${what}: time ${ts} is out of range`);
  return d.toISOString();
};

/** Deterministic `urn:uuid:` (RFC 9562 version 8 layout) from a stable event key, so re-exports keep ids. */
export function eventIdOf(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Sort key kinds: at equal times, passes precede sensor reports, which precede lock changes. */
const ORDER = { pass: 0, scan: 0, sensor: 1, lock: 2, unlock: 3, closure: 4 } as const;

/**
 * CBV 2.0 terms of rejected stock's end: destroyed (bizStep `destroying`, disposition `destroyed`), or shipped
 * back to its supplier (bizStep `shipping`, disposition `returned`).
 */
const CLOSURE_TERMS = {
  destroyed: { bizStep: 'destroying', disposition: 'destroyed' },
  returned: { bizStep: 'shipping', disposition: 'returned' },
} as const;

/**
 * Builds a GS1 EPCIS 2.0 JSON-LD document (EPCIS 2.0 §8) from coldtrace records. Pure and deterministic:
 * the same input gives the same document, events sorted by time.
 * Records are grouped first (`epcis-grouping.ts`, window `groupingWindowMs`, default 5 s):
 * - Each door crossing (passes with the same portal, from, to, direction within the window of the first)
 *   → one ObjectEvent OBSERVE with the union `epcList` and the first pass's time, CBV bizStep from the
 *   location kinds (see `passSemantics`), readPoint = portal, bizLocation = destination.
 * - Each group of custody intervals with readings (same location, start and end within the window) →
 *   ObjectEvent OBSERVE, bizStep `sensor_reporting`, union `epcList`, with one `sensorElementList` entry
 *   per sensor over the union interval: `sensorMetadata` {startTime, endTime, deviceID} and a
 *   `sensorReport` {type `Temperature`, minValue, maxValue, meanValue, uom `CEL`} (EPCIS 2.0 §7.3.8,
 *   as in the official SensorDataExample2).
 * - Each lock (locks of one excursion, lot and end merged) → ObjectEvent bizStep `holding`, disposition
 *   `non_sellable_other`, `persistentDisposition.set`; its end → `persistentDisposition.unset` (see
 *   `LOCK_END_DISPOSITION`).
 * - Each quantity hold (units without serial of a lot, `epcis-holds.ts`) → the same pair of events with the
 *   lot's class and units in `quantityList` instead of an `epcList`.
 * With `readingBuckets`, a sensor event whose figures the buckets cannot settle exactly (a bucket across
 * its span's edge, a mean near a rounding boundary: `epcis-sensor-stats.ts`) adds its span to `inexact`;
 * the document is then not the one the raw readings give and the caller reads those spans' readings
 * (`StoreEpcisSource.exact`) and builds again. Without `inexact` such a span throws.
 */
export function buildEpcisDocument(input: EpcisExportInput, inexact?: EpcisInexactSpan[]): EpcisDocument {
  const tz = input.timeZoneOffset ?? '+00:00';
  if (!TZ_OFFSET.test(tz)) {
    throw new ColdtraceError(
      'invalid',
      `time zone offset ${JSON.stringify(tz)} must be ±hh:mm within ±14:00`,
    );
  }
  const windowMs = groupingWindowMs(input.groupingWindowMs);
  const uris = new EpcisUris(input.baseUri);
  const locations = new Map<string, EpcisLocation>(input.locations.map((l) => [l.id, l]));
  const locUri = (id: string) => uris.location(locations.get(id), id);
  const events: Array<{ ts: number; order: number; event: EpcisEvent }> = [];
  const base = (ts: number, key: string, what: string) => ({
    type: 'ObjectEvent' as const,
    eventTime: iso(ts, what),
    eventTimeZoneOffset: tz,
    eventID: eventIdOf(key),
  });
  // Each unit is in several events (its crossings, custody, locks): its URI is decoded once per document.
  const uriOf = new Map<string, string>();
  const epcList = (hexes: Iterable<string>) => {
    const uris = new Set<string>();
    for (const hex of hexes) {
      let uri = uriOf.get(hex);
      if (uri === undefined) {
        uri = epcUri(hex);
        uriOf.set(hex, uri);
      }
      uris.add(uri);
    }
    return [...uris].sort();
  };

  // Passes: one event per door crossing (EPCIS 2.0 §7.4.2 ObjectEvent with the crossing's epcList)
  for (const g of groupPasses(input.passes, windowMs)) {
    const sem = passSemantics(locations.get(g.from)?.kind, locations.get(g.to)?.kind);
    const list = epcList(g.epcs);
    const key = JSON.stringify([g.portalId, g.from, g.to, g.direction, g.firstTs]);
    events.push({
      ts: g.firstTs,
      order: ORDER.pass,
      event: {
        ...base(g.firstTs, `pass|${key}|${list.join(',')}`, `pass at ${g.portalId}`),
        epcList: list,
        action: 'OBSERVE',
        bizStep: sem.bizStep,
        ...(sem.disposition ? { disposition: sem.disposition } : {}),
        readPoint: { id: uris.portal(g.portalId) },
        bizLocation: { id: locUri(g.to) },
        'ct:fromLocation': locUri(g.from),
        ...(g.direction ? { 'ct:direction': g.direction } : {}),
      },
    });
  }

  // Barcode scans: one event per station, direction and window (docs/barcode.md "Scans in the cloud"), the
  // serialised units' SGTINs in epcList and the units without serial per LGTIN in quantityList.
  for (const g of groupScans(input.scans ?? [], windowMs)) {
    const terms = SCAN_TERMS[g.direction];
    if (!terms)
      throw new ColdtraceError('invalid', `scan at ${g.stationId}: unknown direction ${g.direction}`);
    const list = epcList(g.epcs);
    const quantities = [...g.quantities].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([g.stationId, g.locationId, g.direction, g.firstTs]);
    const qkey = quantities.map(([c, n]) => `${c}=${n}`).join(',');
    events.push({
      ts: g.firstTs,
      order: ORDER.scan,
      event: {
        ...base(g.firstTs, `scan|${key}|${list.join(',')}|${qkey}`, `scan at ${g.stationId}`),
        ...(list.length > 0 ? { epcList: list } : {}),
        ...(quantities.length > 0
          ? { quantityList: quantities.map(([epcClass, quantity]) => ({ epcClass, quantity })) }
          : {}),
        action: 'OBSERVE',
        bizStep: terms.bizStep,
        ...(terms.disposition ? { disposition: terms.disposition } : {}),
        readPoint: { id: uris.scanStation(g.stationId) },
        ...(terms.arrives
          ? { bizLocation: { id: locUri(g.locationId) } }
          : { 'ct:fromLocation': locUri(g.locationId) }),
        'ct:scanDirection': g.direction,
      },
    });
  }

  // Sensor data per custody interval
  const readingsByLocation = new Map<string, EpcisReading[]>();
  for (const r of input.readings) {
    if (r.tempC === null || !Number.isFinite(r.tempC)) continue;
    const list = readingsByLocation.get(r.locationId) ?? [];
    list.push(r);
    readingsByLocation.set(r.locationId, list);
  }
  for (const list of readingsByLocation.values()) list.sort((a, b) => a.ts - b.ts);
  const bucketLists = new Map<string, EpcisReadingBucket[]>();
  for (const b of input.readingBuckets ?? []) {
    const list = bucketLists.get(b.locationId) ?? [];
    list.push(b);
    bucketLists.set(b.locationId, list);
  }
  const bucketsByLocation = new Map<string, SortedBuckets>();
  for (const [id, list] of bucketLists) bucketsByLocation.set(id, sortBuckets(list));
  const noBuckets = sortBuckets([]);
  const inexactSpans: EpcisInexactSpan[] = [];
  for (const g of groupCustody(input.custody, input.asOf, windowMs)) {
    const sorted = readingsByLocation.get(g.locationId) ?? [];
    const buckets = bucketsByLocation.get(g.locationId) ?? noBuckets;
    if (g.members.some((m) => bucketsCross(buckets, m.enteredAt, m.end))) {
      inexactSpans.push(spanOf(g.locationId, g.members));
      continue;
    }
    // An EPC whose own interval holds no known reading is left out (as it would be ungrouped), and the
    // reported interval is the union of the remaining members' intervals; every reading of the group's
    // span lies in one of them.
    const members = g.members.filter((m) => hasReading(sorted, buckets, m.enteredAt, m.end));
    if (members.length === 0) continue; // no temperature known: nothing to report (documented in docs/epcis.md)
    const { from, to: end } = spanOf(g.locationId, members);
    const stats = sensorStats(sorted, buckets, from, end);
    if (![...stats.values()].every(meanIsSettled)) {
      inexactSpans.push({ locationId: g.locationId, from, to: end });
      continue;
    }
    const leftAt = g.leftAt === null ? null : end;
    const elements = sensorElements(stats, from, end, uris);
    const list = epcList(members.map((m) => m.epc));
    const where = { id: locUri(g.locationId) };
    const key = JSON.stringify([g.locationId, from, leftAt]);
    events.push({
      ts: end,
      order: ORDER.sensor,
      event: {
        ...base(end, `custody|${key}|${end}|${list.join(',')}`, `custody at ${g.locationId}`),
        epcList: list,
        action: 'OBSERVE',
        bizStep: 'sensor_reporting',
        readPoint: where,
        bizLocation: where,
        sensorElementList: elements,
        ...(leftAt === null ? { 'ct:custodyOngoing': true } : {}),
      },
    });
  }

  // Locks
  for (const lock of groupLocks(input.locks, windowMs)) {
    const list = epcList(lock.epcs);
    const ext = {
      'ct:lockId': lock.id,
      ...(lock.excursionId ? { 'ct:excursionId': lock.excursionId } : {}),
    };
    const where = lock.locationId ? { bizLocation: { id: locUri(lock.locationId) } } : {};
    events.push({
      ts: lock.lockedAt,
      order: ORDER.lock,
      event: {
        ...base(lock.lockedAt, `lock|${lock.id}`, `lock ${lock.id}`),
        epcList: list,
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition: LOCK_DISPOSITION,
        persistentDisposition: { set: [LOCK_DISPOSITION] },
        ...where,
        ...ext,
        ...(lock.reason ? { 'ct:reason': lock.reason } : {}),
      },
    });
    if (lock.end) {
      const end = LOCK_END_DISPOSITION[lock.end.outcome];
      if (!end) throw new ColdtraceError('invalid', `lock ${lock.id}: unknown outcome ${lock.end.outcome}`);
      events.push({
        ts: lock.end.at,
        order: ORDER.unlock,
        event: {
          ...base(lock.end.at, `unlock|${lock.id}|${lock.end.outcome}`, `end of lock ${lock.id}`),
          epcList: list,
          action: 'OBSERVE',
          bizStep: end.bizStep,
          disposition: end.disposition,
          persistentDisposition: {
            unset: [LOCK_DISPOSITION],
            ...(end.set.length ? { set: [...end.set] } : {}),
          },
          ...where,
          ...ext,
          'ct:outcome': lock.end.outcome,
          ...(lock.end.reason ? { 'ct:reason': lock.end.reason } : {}),
        },
      });
    }
  }

  // Quantity holds: a lock's events for counted units of a lot (docs/epcis.md "Quantity holds").
  for (const h of holdEvents(input.holds ?? [], base, locUri))
    events.push({ ts: h.ts, order: h.end ? ORDER.unlock : ORDER.lock, event: h.event });

  // Rejected stock's end (docs/domain.md "Rejected stock to its end").
  for (const c of input.closures ?? []) {
    const terms = CLOSURE_TERMS[c.outcome];
    if (!terms) throw new ColdtraceError('invalid', `closure ${c.id}: unknown outcome ${c.outcome}`);
    const where = c.locationId ? { bizLocation: { id: locUri(c.locationId) } } : {};
    events.push({
      ts: c.at,
      order: ORDER.closure,
      event: {
        ...base(c.at, `closure|${c.id}`, `${c.outcome} ${c.id}`),
        ...(c.epcs.length > 0 || !c.quantities?.length ? { epcList: epcList(c.epcs) } : {}),
        ...(c.quantities?.length ? { quantityList: c.quantities.map((x) => ({ ...x })) } : {}),
        action: 'OBSERVE',
        bizStep: terms.bizStep,
        disposition: terms.disposition,
        ...where,
        'ct:closureId': c.id,
        'ct:reference': c.reference,
      },
    });
  }

  if (inexactSpans.length > 0) {
    if (!inexact)
      throw new ColdtraceError('internal', 'reading buckets cannot settle every sensor event exactly');
    inexact.push(...inexactSpans);
  }
  events.sort((a, b) => a.ts - b.ts || a.order - b.order || (a.event.eventID < b.event.eventID ? -1 : 1));
  return {
    '@context': [EPCIS_CONTEXT, { ct: COLDTRACE_EPCIS_NS }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: iso(input.creationDate, 'creationDate'),
    ...(input.documentId ? { id: input.documentId } : {}),
    epcisBody: { eventList: events.map((e) => e.event) },
  };
}

/** The span `[from, to)` of some custody intervals at a location: from the first entry to the last end. */
function spanOf(locationId: string, members: ReadonlyArray<{ enteredAt: number; end: number }>) {
  const from = members.reduce((t, m) => Math.min(t, m.enteredAt), Number.POSITIVE_INFINITY);
  const to = members.reduce((t, m) => Math.max(t, m.end), Number.NEGATIVE_INFINITY);
  return { locationId, from, to };
}

/** One sensorElement per sensor with readings in `[from, to)`. */
function sensorElements(stats: ReturnType<typeof sensorStats>, from: number, to: number, uris: EpcisUris) {
  return [...stats.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sensorId, s]) => ({
      sensorMetadata: {
        startTime: iso(from, 'custody start'),
        endTime: iso(to, 'custody end'),
        deviceID: uris.sensor(sensorId),
      },
      sensorReport: [
        {
          type: 'Temperature',
          minValue: s.min,
          maxValue: s.max,
          meanValue: round3(s.sum / s.n),
          uom: 'CEL',
        },
      ],
    }));
}
