/** Integration events (docs/architecture.md "Integrations"): what ERP/WMS systems are told. */
export const DOMAIN_EVENT_NAMES = [
  'lock',
  'unlock',
  'disposition',
  'security_alert',
  'calibration_overdue',
  'calibration_cleared',
  'stock_closed',
] as const;
export type DomainEventName = (typeof DOMAIN_EVENT_NAMES)[number];

export interface LockEventPayload {
  type: 'lock' | 'unlock';
  excursionId: string;
  locationId: string;
  reason: string;
  units: Array<{ epc: string; lotId: string | null }>;
  at: number;
  /**
   * Absent (or 'excursion'): `excursionId` names an excursion. 'cumulative': a product's cumulative rule
   * was reached (or no longer is); `excursionId` is then the lock key `cumulative:<lot>:<rule>` and `rule`
   * says which rule. 'rate_of_change': a location's temperature rose too fast; `excursionId` names the
   * rule alarm (`<location>@<start>`).
   */
  cause?: 'excursion' | 'cumulative' | 'rate_of_change';
  /**
   * Counted units of lots without serial held (lock) or no longer held (unlock) at `locationId` by the
   * excursion (docs/barcode.md "Quantity custody"): they have no EPC, so they are named by lot and quantity.
   */
  quantities?: Array<{ lotId: string; units: number }>;
  rule?: { kind: 'above' | 'below'; thresholdC: number; limitMs: number };
}

export interface DispositionEventPayload {
  type: 'disposition';
  dispositionId: string;
  excursionId: string;
  decision: 'release' | 'reject';
  lotId: string | null;
  epc: string | null;
  units: Array<{ epc: string; lotId: string | null }>;
  /** Counted units of the lot without serial the decision covers, per location (quantity holds). */
  quantities?: Array<{ lotId: string; locationId: string; units: number }>;
  signedBy: string;
  meaning: string;
  reason: string;
  at: number;
}

/**
 * Security events crossed the configured threshold (cloud config `auth.securityEvents.alert`): `count`
 * events within `windowMs`, by event name; the entries are on the audit trail (entity type `security`).
 */
export interface SecurityAlertEventPayload {
  type: 'security_alert';
  count: number;
  windowMs: number;
  byEvent: Record<string, number>;
  at: number;
}

/**
 * A sensor's calibration fell due (`calibration_overdue`: its readings from `dueAt` on come from an overdue
 * device, EU GDP §3.3.2), or it was recalibrated since (`calibration_cleared`).
 */
export interface CalibrationAlarmEventPayload {
  type: 'calibration_overdue' | 'calibration_cleared';
  sensorId: string;
  sensorName: string;
  locationId: string;
  serialNumber: string | null;
  certificate: string | null;
  dueAt: number;
  at: number;
}

/** Rejected stock reached its end: destroyed, or returned to its supplier (domain/stock-closures.ts). */
export interface StockClosedEventPayload {
  type: 'stock_closed';
  closureId: string;
  outcome: 'destroyed' | 'returned';
  reference: string;
  lotId: string | null;
  epc: string | null;
  units: Array<{ epc: string; lotId: string | null }>;
  /** Rejected held quantities closed (units without serial, per location and excursion). */
  quantities?: Array<{ lotId: string; locationId: string; excursionId: string; units: number }>;
  signedBy: string;
  meaning: string;
  reason: string;
  at: number;
}

export type DomainEvent =
  | LockEventPayload
  | DispositionEventPayload
  | SecurityAlertEventPayload
  | CalibrationAlarmEventPayload
  | StockClosedEventPayload;
