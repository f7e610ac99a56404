import type { ColumnType, Generated } from 'kysely';
import type { MovementRow, NewDeadLetterRow } from '../../domain/ingest/ingest-store.js';
import { ARCHIVE_COLUMNS } from '../../domain/reading-archive-format.js';
import type { ReadingRow } from '../../domain/reading-digests.js';

// Tables written by ingest: gateways and what they send, and the raw readings' archives and deletions.

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

/**
 * The columns of `readings`, for a read of whole rows (the archive's are every one of them): on PostgreSQL
 * the view also has its rows' keys (migration 0044), which no reader is given.
 */
export const READINGS_COLUMNS = ARCHIVE_COLUMNS satisfies ReadonlyArray<keyof ReadingsTable>;

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
