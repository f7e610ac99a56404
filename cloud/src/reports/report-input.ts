/**
 * The explicit input of the PDF excursion report (`renderExcursionReport`). Pure data gathered by a
 * `ReportSource`; times are epoch milliseconds UTC, temperatures °C.
 */

export interface ReportExcursion {
  id: string;
  locationId: string;
  locationName: string;
  startTs: number;
  /** null while ongoing. */
  endTs: number | null;
  durationMs: number;
  minC: number;
  maxC: number;
  peakC: number;
  degreeMinutes: number;
  mktC: number | null;
  critical: boolean;
  sensorIds: string[];
  /**
   * The sensors with serial number and calibration over the excursion (worst state at any instant of it;
   * docs/domain.md "Sensor calibration"); absent from sources that do not know them.
   */
  sensors?: ReportSensor[];
  /** e.g. `ongoing`, `closed`, `review`, `decided` (as the domain engine names it). */
  state: string;
}

export interface ReportSensor {
  id: string;
  name: string;
  serialNumber: string | null;
  calibration: {
    certificate: string;
    calibratedAt: number;
    dueAt: number;
    state: 'valid' | 'overdue' | 'not_yet_calibrated';
  } | null;
}

export interface ReportLimits {
  minC: number;
  maxC: number;
  criticalMarginC: number;
  alarmDelayMs: number;
}

export interface ReportSeries {
  sensorId: string;
  /** The sensor's name in master data (the legend shows it); absent = the id. */
  sensorName?: string;
  /** In time order; `tempC` null = sensor error (a break in the line). */
  points: ReadonlyArray<{ ts: number; tempC: number | null }>;
}

export interface ReportLot {
  lotId: string;
  lotNumber: string;
  gtin: string;
  productName: string;
  unitsExposed: number;
  unitsLocked: number;
  unitsTotal: number;
  /** Where the lot's units are now, e.g. [{ location: 'Store 3', units: 12 }]. */
  whereNow: ReadonlyArray<{ location: string; units: number }>;
  /** Time outside the product tolerance across all its excursions. */
  timeOutsideMs: number;
  /** The product's stability budget; null = none configured. */
  stabilityBudgetMs: number | null;
  /** MKT over the windows of all the lot's excursions. */
  mktC: number | null;
  /** MKT over the lot's custody so far (domain/lot-mkt.ts); absent from sources that do not know it. */
  custodyMktC?: number | null;
  /** The product's tolerance, shown beside the budget. */
  toleranceMinC?: number | null;
  toleranceMaxC?: number | null;
  /** When the first and the last of its units were locked for this excursion (null: none locked). */
  firstLockedAt?: number | null;
  lastLockedAt?: number | null;
  /** The signed decisions on the lot for this excursion, one line each; empty = none yet. */
  decisions?: string[];
}

/** 21 CFR 11.50: printed name, date and time, and meaning of the signature. */
export interface ReportSignature {
  printedName: string;
  userId?: string;
  /** e.g. `approval (release)`, `rejection`. */
  meaning: string;
  signedAt: number;
}

export interface ReportDecision {
  id: string;
  /** What the decision covers, e.g. `lot L2026A (12 units)` or `unit GTIN 80614141123458 serial 11`. */
  scope: string;
  decision: 'release' | 'reject' | string;
  reason: string;
  signature: ReportSignature;
  /** SHA-256 of the signed manifest (21 CFR 11.70); null when signed before manifests. */
  manifestHash?: string | null;
  /** The excursion version the decision was signed for. */
  excursionVersion?: number;
}

export interface ReportAuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  detail?: string;
  /** As the audit page shows it (domain/audit-summary.ts): who acted by printed name, the entry in plain
   * language and the fields it changed. */
  actorName?: string;
  summary?: string;
  changes?: ReadonlyArray<{ field: string; before: string; after: string }>;
  /** A unit's own lock entry (listed in the annex, not the excerpt): the unit's label. */
  unit?: string | null;
}

/** Units of a lot without serial the excursion holds at its location (a quantity hold, docs/barcode.md). */
export interface ReportHeldQuantity {
  lotId: string;
  location: string;
  units: number;
  /** active | released | rejected (lifted holds are left out). */
  state: string;
  /** Units the signed decision covered; null while undecided. */
  decidedUnits: number | null;
}

export interface ExcursionReportInput {
  /** Stable per revision: the excursion's version and the decisions signed on it (report-source.ts). */
  reportId: string;
  /** The report id of the revision before this one (null: the first). */
  supersedes?: string | null;
  generatedAt: number;
  /** Software version printed in the header (`COLDTRACE_VERSION`). */
  version: string;
  /** Who requested the report, if known. */
  generatedBy?: string | null;
  excursion: ReportExcursion;
  limits: ReportLimits;
  /** The chart's time window; default: the excursion ± a margin of a quarter of its duration (≥ 30 min). */
  window?: { fromTs: number; toTs: number };
  series: readonly ReportSeries[];
  lots: readonly ReportLot[];
  /** Quantity holds of the excursion (absent or empty: the section is left out). */
  heldQuantities?: readonly ReportHeldQuantity[];
  decisions: readonly ReportDecision[];
  audit: readonly ReportAuditEntry[];
  /** Notes printed under the statistics (e.g. what data the report could not include yet). */
  notes?: readonly string[];
}

/** Options for rendering. */
export interface RenderOptions {
  /** Fixed PDF CreationDate for byte-identical output (tests); default `generatedAt`. */
  creationDate?: Date;
}
