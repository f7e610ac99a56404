import type { ColumnType, Generated } from 'kysely';
import type { LockRow } from '../../domain/rows.js';

// Tables of the domain engine (migration 0002-domain and later): master data and derived state.

export interface ProductsTable {
  gtin: string;
  name: string;
  min_c: number;
  max_c: number;
  stability_budget_ms: number;
  /** WHO PQS-style cumulative rules, JSON `[{kind, thresholdC, limitMs}]` (0007-cumulative-rule; '[]' = none). */
  cumulative_rules: ColumnType<string, string | undefined, string>;
  created_at: number;
  updated_at: number;
}

export interface LotsTable {
  id: string;
  gtin: string;
  lot_number: string;
  /** ISO date YYYY-MM-DD. */
  expiry: string;
  created_at: number;
  updated_at: number;
}

export interface EpcsTable {
  epc: string;
  lot_id: string;
  commissioned_at: number;
}

export interface PortalsTable {
  id: string;
  name: string;
  gateway_id: string | null;
  from_location: string | null;
  to_location: string | null;
  created_at: number;
  updated_at: number;
}

export interface SensorsTable {
  id: string;
  name: string;
  location_id: string;
  gateway_id: string | null;
  /** The manufacturer's serial number (0020); the calibration below (domain/sensor-calibration.ts). */
  serial_number: string | null;
  calibration_certificate: string | null;
  calibrated_at: number | null;
  calibration_due: number | null;
  created_at: number;
  updated_at: number;
}

/** A calibration that fell due (0020): raised once per sensor and due date, cleared by a new calibration. */
export interface CalibrationAlarmsTable {
  sensor_id: string;
  due_at: number;
  raised_at: number;
  cleared_at: number | null;
}

/** Custody intervals [entered_at, left_at) per EPC, derived from movements in event time. */
export interface CustodyTable {
  epc: string;
  entered_at: number;
  left_at: number | null;
  location_id: string;
  gateway_id: string;
  seq: number;
}

/**
 * `locks` (docs/architecture.md "Lock rules"), one row per (EPC, excursion) exposure: 'active' | 'lifted' |
 * 'released' | 'rejected'. The columns of `LockRow` (domain/rows.ts); `hold_reason` (0012, why the lock is
 * held pending QA) may be left out on insert.
 */
export interface LocksTable extends Omit<LockRow, 'hold_reason'> {
  hold_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** An alarm a lock rule derived from the readings (0013), e.g. a fast temperature rise. */
export interface RuleAlarmsTable {
  id: string;
  rule: string;
  location_id: string;
  from_ts: number;
  to_ts: number;
  detail_json: string;
  created_at: number;
  updated_at: number;
}

/**
 * The derive key (`derive-lock.ts`): the `'derive'` row (seeded by 0039), which exclusive derive
 * transactions update and shared ones take `FOR SHARE` (PostgreSQL).
 */
export interface DeriveLocksTable {
  key: string;
  n: number;
}

/**
 * What the domain engine still has to recompute (migration 0006-evaluation-marks), written with the events
 * that make it necessary and deleted by the derive transaction that covers it.
 */
export interface EvaluationMarksTable {
  id: Generated<number>;
  /** 'location' (readings or limits; subject = location id) | 'epc' (movements; subject = EPC). */
  kind: string;
  subject: string;
  /** Event-time window of a location mark; null = unbounded (whole history). Null for EPC marks. */
  from_ts: number | null;
  to_ts: number | null;
  /** Why, when not new events: e.g. a limit change by a user (named in derived audit entries). */
  cause: string | null;
  created_at: number;
  /**
   * The cloud process that wrote it (0029, `cloud_nodes.id`; PostgreSQL stamps it by default); null on SQLite
   * and for marks from before 0029: those are taken by the age-based sweep.
   */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A running cloud process (0029, domain/node-liveness.ts): heartbeats on the database's clock. */
export interface CloudNodesTable {
  id: string;
  started_at: number;
  heartbeat_at: number;
  /** Its heartbeat period: others take its marks after 3 periods without one. */
  heartbeat_ms: number;
}

/** An HIBC device identifier linked to a registered product's GTIN (0028): master data, audited. */
export interface HibcLinksTable {
  /** LIC + product number + unit of measure (`HIBC_DEVICE_IDENTIFIER`). */
  di: string;
  gtin: string;
  created_at: number;
  updated_at: number;
}

/**
 * Every version of a location's limits or a product's specification (0015-spec-versions, docs/domain.md
 * "Effective-dated specifications"): in force from `effective_from` (data time; null = from the
 * beginning) until the next version in force; `replaced_by` set when a later change or correction
 * replaced it.
 */
export interface SpecVersionsTable {
  subject_kind: 'location' | 'product';
  subject_id: string;
  version: number;
  effective_from: number | null;
  /** The specification as JSON (location: TempLimits; product: tolerance, budget, cumulative rules). */
  spec_json: string;
  kind: 'initial' | 'change' | 'correction';
  replaced_by: number | null;
  /** Wall-clock time it was made (a person's action). */
  created_at: number;
  actor: string;
  reason: string;
}
