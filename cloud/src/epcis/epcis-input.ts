import type { StoredEpcisPass, StoredReadingBucket } from '../store/queries/epcis-records.js';
import type { EpcisScan } from '../store/queries/epcis-scans.js';

/**
 * The explicit input of the EPCIS 2.0 export converter (`buildEpcisDocument`). The converter is pure: a
 * route gathers these through an `EpcisSource` and hands them over; tests build them as fixtures.
 * Times are epoch milliseconds UTC.
 */

/** Location kinds as in the location master data (`room`, `vehicle`, `store`, `dock`, `other`). */
export type EpcisLocationKind = 'room' | 'vehicle' | 'store' | 'dock' | 'other';

export interface EpcisLocation {
  id: string;
  kind: EpcisLocationKind | string;
  /** GS1 Global Location Number (13 digits, valid check digit) when configured; else a private URI is used. */
  gln?: string | null;
  /** GLN extension (AI 254), 1-20 characters, when the location is a sub-location of the GLN. */
  glnExtension?: string | null;
}

/** An RFID portal pass (a custody change), as the edge reported it (declared with its query: epcis reads store). */
export type EpcisPass = StoredEpcisPass;

/** `[enteredAt, leftAt)` of one EPC at one location; `leftAt` null = still there. */
export interface EpcisCustodyInterval {
  epc: string;
  locationId: string;
  enteredAt: number;
  leftAt: number | null;
}

export interface EpcisReading {
  sensorId: string;
  locationId: string;
  ts: number;
  /** null for a sensor-error reading (ignored in the statistics). */
  tempC: number | null;
}

/**
 * A reading-rollup bucket (declared with its query): the export uses one in place of its readings only when
 * it lies wholly inside a custody span (docs/epcis.md "Sources").
 */
export type EpcisReadingBucket = StoredReadingBucket;

/** A location's time span whose figures need its raw readings instead of the buckets. */
export interface EpcisInexactSpan {
  locationId: string;
  from: number;
  to: number;
}

/** How a lock ended: QA release, QA reject, or lifted automatically (late data proved no exposure). */
export type EpcisLockOutcome = 'released' | 'rejected' | 'auto_released';

export interface EpcisLock {
  id: string;
  epcs: string[];
  lockedAt: number;
  /** Where the units were when locked (bizLocation), if known. */
  locationId?: string | null;
  excursionId?: string | null;
  /** Lot of the locked units, if known: locks of different lots never share an event. */
  lotId?: string | null;
  reason?: string | null;
  /** Absent or null while the lock is in force. */
  end?: { at: number; outcome: EpcisLockOutcome; reason?: string | null } | null;
}

/** Rejected stock's end (domain/stock-closures.ts): destroyed, or returned to its supplier. */
export interface EpcisClosure {
  id: string;
  /** Serialised units closed (may be empty when the record closed only held quantities). */
  epcs: string[];
  /** Rejected held quantities of units without serial closed, per lot class (absent: none). */
  quantities?: Array<{ epcClass: string; quantity: number }>;
  at: number;
  outcome: 'destroyed' | 'returned';
  /** The destruction certificate or the return's RMA or shipment reference. */
  reference: string;
  /** Where the units were (bizLocation), if known. */
  locationId?: string | null;
}

/**
 * A quantity hold (docs/barcode.md "Quantity holds"): units without serial of one lot held at a location by
 * an excursion. They have no EPC, so their events carry the lot's class and the count in `quantityList`.
 */
export interface EpcisHold {
  /** `<lot>|<location>|<excursion>`: the hold's key, as its audit entries name it. */
  id: string;
  /** The lot's class URI (`lgtinUri`: LGTIN URN, or GS1 Digital Link URI of GTIN and lot). */
  epcClass: string;
  /** Units held: the most on hand during the excursion. */
  units: number;
  heldAt: number;
  locationId: string;
  excursionId: string;
  reason?: string | null;
  /**
   * Absent or null while the hold is in force. `units`: the units it ended for (a QA decision covers the
   * units on hand when it was signed; units exposed after it stay held).
   */
  end?: { at: number; outcome: EpcisLockOutcome; units: number; reason?: string | null } | null;
}

// The stored scans' shape is the store's (store/queries/epcis-scans.ts): epcis reads the store, not the reverse.
export type { EpcisScan };

export interface EpcisExportInput {
  /** Document creation time. */
  creationDate: number;
  /** End of ongoing custody intervals (usually "now", or the query's `to`). */
  asOf: number;
  /**
   * Base of the private URIs for locations without GLN, portals and sensors, e.g.
   * `https://cloud.example.com/api/v1` → `https://cloud.example.com/api/v1/locations/coldroom-1`.
   */
  baseUri: string;
  /** ±hh:mm, EPCIS 2.0 §7.3.6.1 `eventTimeZoneOffset`; default `+00:00` (times are written in UTC). */
  timeZoneOffset?: string;
  /**
   * Grouping window in ms (default `DEFAULT_EPCIS_GROUPING_WINDOW_MS` = 5 s): passes of one door crossing,
   * custody intervals that began and ended together, and locks of one excursion set together share one
   * event when they lie within this window of the group's first record (see `epcis-grouping.ts`);
   * 0 groups only identical times.
   */
  groupingWindowMs?: number;
  /** Optional document id (an absolute URI). */
  documentId?: string;
  locations: readonly EpcisLocation[];
  passes: readonly EpcisPass[];
  custody: readonly EpcisCustodyInterval[];
  readings: readonly EpcisReading[];
  /**
   * Reading buckets standing for the readings they hold (absent: none): `readings` then holds only the
   * known readings outside them.
   */
  readingBuckets?: readonly EpcisReadingBucket[];
  locks: readonly EpcisLock[];
  /** Closing records of rejected stock (absent: none). */
  closures?: readonly EpcisClosure[];
  /** Barcode scans (absent: none). */
  scans?: readonly EpcisScan[];
  /** Quantity holds of units without serial (absent: none). */
  holds?: readonly EpcisHold[];
}
