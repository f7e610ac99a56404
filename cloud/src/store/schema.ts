import type { ColumnType, Generated, Selectable } from 'kysely';
import type { AuditLogTable } from '../domain/audit-chain.js';
import type { MovementRow, NewDeadLetterRow, ScanFlagRow } from '../domain/ingest/ingest-store.js';
import type { QuantityHoldRow } from '../domain/locks/quantity-holds.js';
import type { ReadingDigestRow, ReadingRow } from '../domain/reading-digests.js';
import type { ReadingRollupRow } from '../domain/reading-rollups.js';
import type { ReleaseProposalRow } from '../domain/release-proposals.js';
import type {
  DispositionsTable,
  ExcursionDomainColumns,
  ExcursionsTable,
  LocationsTable,
  LockRow,
} from '../domain/rows.js';
import type { StockClosureHoldRow, StockClosureRow } from '../domain/stock-closures.js';

/**
 * Tables of the cloud store, shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint in
 * PostgreSQL, parsed back to number); booleans are 0/1 integers so both dialects read the same.
 */
export interface GatewaysTable {
  id: string;
  name: string | null;
  /** scrypt$N$r$p$salt$hash of the MQTT secret; null = not allowed to connect. */
  secret_hash: string | null;
  created_at: number;
  status_json: string | null;
  status_at: number | null;
  online: number;
}

/** A stored reading: its gateway and the row its batch's digest covers (domain/reading-digests.ts). */
export interface ReadingsTable extends ReadingRow {
  gateway_id: string;
}

/** A stored movement: its content (`MovementRow`, record-rows.ts) under its key, with its arrival. */
export interface MovementsTable extends MovementRow {
  gateway_id: string;
  seq: number;
  received_at: number;
}

export interface AlarmsTable {
  gateway_id: string;
  seq: number;
  alarm_id: string;
  kind: string;
  state: string;
  severity: string;
  ts: number;
  location_id: string | null;
  sensor_id: string | null;
  value: number | null;
  message: string;
  received_at: number;
}

/** Sequence ranges accepted per gateway and stream, merged; holes between them are data gaps. */
export interface StreamRangesTable {
  gateway_id: string;
  stream: string;
  from_seq: number;
  to_seq: number;
}

/** Sequence ranges the gateway declared thinned (deliberately omitted to stay within its disk bound). */
export interface ThinnedRangesTable {
  gateway_id: string;
  stream: string;
  from_seq: number;
  to_seq: number;
  received_at: number;
}

/** A dead letter: the message as received and why (`NewDeadLetterRow`), its id and its replay. */
export interface DeadLettersTable extends NewDeadLetterRow {
  id: Generated<number>;
  /** Set once the message was replayed through the ingest pipeline and stored (0009). */
  replayed_at: ColumnType<number | null, number | null | undefined, number | null>;
  replayed_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON `{stream, inserted, duplicates}` of the replay. */
  replay_result: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MonitoringGapsTable {
  location_id: string;
  sensor_id: string;
  from_ts: number;
  to_ts: number;
}

/**
 * Users of the HTTP API and pages (docs/architecture.md "HTTP API and QA pages"). `roles` is a
 * comma-separated subset of viewer,operator,qa,admin.
 */
export interface UsersTable {
  id: string;
  username: string;
  printed_name: string;
  roles: string;
  /** argon2id PHC string. */
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

/** Page sessions: only the SHA-256 of the cookie value is stored. */
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

/** Bearer tokens for integrations: only the SHA-256 of the token is stored. */
export interface ApiTokensTable {
  id: string;
  token_hash: string;
  name: string;
  /** The user who created it (audit), or null for tokens issued by the CLI. */
  user_id: string | null;
  roles: string;
  created_at: number;
  last_used_at: number | null;
  revoked: number;
}

/** Consecutive failed logins per username (also unknown ones), for lockout and backoff. */
export interface LoginFailuresTable {
  username: string;
  failures: number;
  last_failure_at: number;
  locked_until: number;
}

/* ---- domain engine (migration 0002-domain) ------------------------------------------------------- */

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

/** One row per (EPC, excursion) exposure: 'active' | 'lifted' | 'released' | 'rejected'. */
/**
 * `locks` (docs/architecture.md "Lock rules"): the columns of `LockRow` (domain/rows.ts); `hold_reason`
 * (0012, why the lock is held pending QA) may be left out on insert.
 */
export interface LocksTable extends Omit<LockRow, 'hold_reason'> {
  hold_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export type { AuditLogTable, DispositionsTable, ExcursionDomainColumns, ExcursionsTable, LocationsTable };

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** Row locks that serialise derived-state recomputation across ingestor processes (PostgreSQL). */
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

/** 0002's table; nothing writes it: derive transactions take advisory locks (`derive-lock.ts`). */
export interface DeriveLocksTable {
  key: string;
  n: number;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  secret: string;
  /** Comma-separated event names, or '*'. */
  events: string;
  enabled: number;
  created_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  /** 'webhook:<endpoint id>' or 'mqtt'. */
  target: string;
  event: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

/** Time-series sinks (migration 0003-sinks): a sink enabled here gets every new reading enqueued. */
export interface SinkStateTable {
  name: string;
  enabled: number;
  updated_at: number;
}

/** Readings waiting to be sent to a sink, enqueued by a trigger in the ingest transaction. */
export interface SinkOutboxTable {
  id: Generated<number>;
  sink: string;
  gateway_id: string;
  seq: number;
  /** The reading's time (migration 0041): null only for rows queued before it whose reading is gone. */
  ts: number | null;
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

/**
 * Edge buffer epochs seen per gateway stream (migration 0008-stream-epochs): epoch k's records are stored
 * with `seq_offset` = k × 2^40 added to their wire seq. A row with k > 0 records a sequence reset.
 */
export interface StreamEpochsTable {
  gateway_id: string;
  stream: string;
  epoch_index: number;
  epoch: string;
  seq_offset: number;
  first_seen_at: number;
  /** The epoch this one replaced (k > 0), null for the first. */
  prev_epoch: string | null;
  /** The replaced epoch's high water (wire seq) when the reset was seen, null for the first. */
  prev_high_water: number | null;
}

/** An archive file of a calendar month (UTC) of readings: where, its SHA-256 and its rows (0032). */
export interface ReadingArchivesTable {
  /** `readings-YYYY-MM`. */
  id: string;
  /** `YYYY-MM`: readings with `ts` in [from_ts, to_ts). */
  period: string;
  from_ts: number;
  to_ts: number;
  /** The file as written (a gzip NDJSON file, domain/reading-archive-format.ts). */
  path: string;
  sha256: string;
  rows: number;
  bytes: number;
  created_at: number;
  created_by: string;
}

/** A digest batch whose readings were deleted after being proven from an archive (0036). */
export interface ReadingDeletionsTable {
  gateway_id: string;
  batch_index: number;
  from_seq: number;
  to_seq: number;
  /** Readings the batch stored, all of them deleted. */
  count: number;
  /** The verified archive that holds them (`reading_archives.id`). */
  archive_id: string;
  deleted_at: number;
  deleted_by: string;
}

/** Per deleted batch and location, the data-time span of the readings deleted there (0036). */
export interface ReadingDeletionSpansTable {
  gateway_id: string;
  batch_index: number;
  location_id: string;
  archive_id: string;
  from_ts: number;
  to_ts: number;
}

/** Columns a migration added with a default: read as `T`, optional on insert. */
type DefaultedOnInsert<T> = { [K in keyof T]: ColumnType<T[K], T[K] | undefined, T[K]> };

export interface Database {
  gateways: GatewaysTable;
  readings: ReadingsTable;
  movements: MovementsTable;
  alarms: AlarmsTable;
  stream_ranges: StreamRangesTable;
  thinned_ranges: ThinnedRangesTable;
  dead_letters: DeadLettersTable;
  locations: LocationsTable;
  excursions: ExcursionsTable & DefaultedOnInsert<ExcursionDomainColumns>;
  monitoring_gaps: MonitoringGapsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  products: ProductsTable;
  lots: LotsTable;
  epcs: EpcsTable;
  portals: PortalsTable;
  sensors: SensorsTable;
  custody: CustodyTable;
  locks: LocksTable;
  dispositions: DispositionsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  derive_locks: DeriveLocksTable;
  webhook_endpoints: WebhookEndpointsTable;
  outbox: OutboxTable;
  sink_state: SinkStateTable;
  sink_outbox: SinkOutboxTable;
  evaluation_marks: EvaluationMarksTable;
  cloud_nodes: CloudNodesTable;
  stream_epochs: StreamEpochsTable;
  rule_alarms: RuleAlarmsTable;
  calibration_alarms: CalibrationAlarmsTable;
  release_proposals: ReleaseProposalRow;
  stock_closures: StockClosureRow;
  stock_closure_units: { epc: string; closure_id: string; lot_id: string | null };
  /** Rejected held quantities a closing record closed (0030). */
  stock_closure_holds: StockClosureHoldRow;
  spec_versions: SpecVersionsTable;
  /** Per-batch reading digests (0018), a chain per gateway (domain/reading-digests.ts). */
  reading_digests: ReadingDigestRow;
  /** Archive files of a month of raw readings (0032, store/reading-archives.ts). */
  reading_archives: ReadingArchivesTable;
  /** Digest batches deleted after archiving, and their spans per location (0036, store/reading-prune.ts). */
  reading_deletions: ReadingDeletionsTable;
  reading_deletion_spans: ReadingDeletionSpansTable;
  /** Barcode scans as read and what ingest mapped them to (0023, docs/barcode.md). */
  scans: ScansTable;
  scan_flags: ScanFlagRow;
  /** Counted quantities of lots held by excursions (0027, domain/locks/quantity-holds.ts). */
  quantity_holds: QuantityHoldRow;
  /** HIBC device identifier → GTIN links (0028, docs/barcode.md "HIBC"). */
  hibc_links: HibcLinksTable;
  /** Per-sensor reading rollups per bucket (0031, domain/reading-rollups.ts). */
  reading_rollups: ReadingRollupRow;
}

/** An HIBC device identifier linked to a registered product's GTIN (0028): master data, audited. */
export interface HibcLinksTable {
  /** LIC + product number + unit of measure (`HIBC_DEVICE_IDENTIFIER`). */
  di: string;
  gtin: string;
  created_at: number;
  updated_at: number;
}

/** A barcode scan (0023): the record as read (`scanRow`, record-rows.ts) and its mapping (a unit's EPC, its lot). */
export interface ScansTable {
  gateway_id: string;
  seq: number;
  station_id: string;
  location_id: string;
  /** receiving | dispatch | putaway | picking */
  direction: string;
  ts: number;
  code: string;
  format: string;
  gtin: string | null;
  sscc: string | null;
  hibc: string | null;
  lot: string | null;
  serial: string | null;
  expiry: string | null;
  received_at: number;
  epc: ColumnType<string | null, string | null | undefined, string | null>;
  lot_id: ColumnType<string | null, string | null | undefined, string | null>;
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

/** The same schema: the domain engine's files name it so. */
export type DomainDatabase = Database;

/** A row of `table` as read (what queries hand to routes and views). */
export type Row<T extends keyof Database> = Selectable<Database[T]>;
