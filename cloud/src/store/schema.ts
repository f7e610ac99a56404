import type { ColumnType, Selectable } from 'kysely';
import type { AuditLogTable } from '../domain/audit-chain.js';
import type { ScanFlagRow } from '../domain/ingest/ingest-store.js';
import type { LocationSensorRow } from '../domain/location-sensors.js';
import type { QuantityHoldRow } from '../domain/locks/quantity-holds.js';
import type { ReadingDigestRow } from '../domain/reading-digests.js';
import type { ReadingRollupRow } from '../domain/reading-rollups.js';
import type { ReleaseProposalRow } from '../domain/release-proposals.js';
import type {
  DispositionsTable,
  ExcursionDomainColumns,
  ExcursionsTable,
  LocationsTable,
} from '../domain/rows.js';
import type { StockClosureHoldRow, StockClosureRow } from '../domain/stock-closures.js';
import type {
  ApiTokensTable,
  LoginFailuresTable,
  SessionsTable,
  UsersTable,
} from './schema/access-tables.js';
import type {
  OutboxTable,
  SinkOutboxTable,
  SinkStateTable,
  WebhookEndpointsTable,
} from './schema/delivery-tables.js';
import type {
  AuditHeadTable,
  CalibrationAlarmsTable,
  CloudNodesTable,
  CustodyTable,
  DeriveLocksTable,
  EpcsTable,
  EvaluationMarksTable,
  HibcLinksTable,
  LocksTable,
  LotsTable,
  PortalsTable,
  ProductsTable,
  RuleAlarmsTable,
  SensorsTable,
  SpecVersionsTable,
} from './schema/domain-tables.js';
import type {
  AlarmsTable,
  DeadLettersTable,
  GatewaysTable,
  MonitoringGapsTable,
  MovementsTable,
  ReadingArchivesTable,
  ReadingDeletionSpansTable,
  ReadingDeletionsTable,
  ReadingsTable,
  ScansTable,
  StreamEpochsTable,
  StreamRangesTable,
  ThinnedRangesTable,
} from './schema/ingest-tables.js';

// The tables by area, under schema/; every import of this file finds them here too.
export type * from './schema/access-tables.js';
export type * from './schema/delivery-tables.js';
export type * from './schema/domain-tables.js';
export type * from './schema/ingest-tables.js';
export type { AuditLogTable, DispositionsTable, ExcursionDomainColumns, ExcursionsTable, LocationsTable };

/** Columns a migration added with a default: read as `T`, optional on insert. */
type DefaultedOnInsert<T> = { [K in keyof T]: ColumnType<T[K], T[K] | undefined, T[K]> };

/**
 * Tables of the cloud store, shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint in
 * PostgreSQL, parsed back to number); booleans are 0/1 integers so both dialects read the same.
 */
export interface Database {
  gateways: GatewaysTable;
  /** A view over `reading_rows` and its key dictionaries (SQLite 0043, PostgreSQL 0044). */
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
  /** Per location, sensor and gateway, the data-time span of its readings (0042, domain/location-sensors.ts). */
  location_sensors: LocationSensorRow;
}

/** The same schema: the domain engine's files name it so. */
export type DomainDatabase = Database;

/** A row of `table` as read (what queries hand to routes and views). */
export type Row<T extends keyof Database> = Selectable<Database[T]>;
