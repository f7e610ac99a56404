import type { Sample } from '@coldtrace/shared';
import type { ProductSpec } from './product-specs.js';
import type { SpecVersion } from './spec-versions.js';

/** A unit commissioned to a lot, with its product and the product's stored cumulative rules (JSON). */
export interface CommissionedUnit {
  epc: string;
  lotId: string;
  gtin: string;
  rulesJson: string | null;
}

/** A unit's stay at a location (custody); `left_at` null while it is still there. */
export interface CustodyStay {
  epc: string;
  location_id: string;
  entered_at: number;
  left_at: number | null;
}

/**
 * What exposure computations read (docs/architecture.md "Cloud": the domain's ports), as plain data; the
 * store implements it over a database or a transaction (`store/lot-reads.ts`).
 */
export interface ExposureReads {
  /** The units among `epcs` commissioned to a lot. */
  commissioned(epcs: readonly string[]): Promise<CommissionedUnit[]>;
  /** The stays of these units, by unit and time. */
  stays(epcs: readonly string[]): Promise<CustodyStay[]>;
  /**
   * Per sensor, the readings of a location that decide what its air did over `[from, to)` (`to` null =
   * open-ended): from the sensor's last known reading before `from` to its first reading at or after `to`.
   * Sensors with no reading at or after `from` are left out.
   */
  seriesOver(locationId: string, from: number, to: number | null): Promise<Map<string, Sample[]>>;
  /**
   * A product's specification versions in force (docs/domain.md "Effective-dated specifications"); [] =
   * none recorded (its row's specification is then in force for all time).
   */
  productVersions(gtin: string): Promise<SpecVersion<ProductSpec>[]>;
}

export interface StoredProduct {
  gtin: string;
  name: string;
  min_c: number;
  max_c: number;
  stability_budget_ms: number;
  cumulative_rules: string | null;
}

/** A lock as a lot's assessment reads it (lifted ones excluded). */
export interface UnitLock {
  epc: string;
  /** The public id of what it is for (`lockSubject`): an excursion's id, `cumulative:<lot>:<rule>`, … */
  subject: string;
  cause: string;
  state: string;
  location_id: string;
  exposed_from: number;
  exposed_to: number | null;
}

/** What a lot's assessment reads beyond exposures. */
export interface LotReads extends ExposureReads {
  lotGtin(lotId: string): Promise<string | undefined>;
  product(gtin: string): Promise<StoredProduct | undefined>;
  unitsOfLot(lotId: string): Promise<string[]>;
  /** Locks of these units that are not lifted, by subject and unit. */
  locks(epcs: readonly string[]): Promise<UnitLock[]>;
  /** Where these units are now (their open stays). */
  whereNow(epcs: readonly string[]): Promise<Array<{ epc: string; location_id: string }>>;
}
