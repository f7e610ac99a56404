import type { AuditLogTable } from './audit-chain.js';
import type { QuantityHoldRow } from './locks/quantity-holds.js';
import type { ReadingDigestReport } from './reading-digest-check.js';
import type { DispositionsTable, StoredExcursion } from './rows.js';

/** One contradiction between a domain table and the audit trail (or a signed manifest), naming the row. */
export interface DeepFinding {
  /** The check that found it (`DeepCheck.name`). */
  check: string;
  table: string;
  /** The row's key, as the check names it (a lock: `<epc>|<excursion or rule key>`). */
  row: string;
  /** The audit entry the row contradicts; null when no entry speaks for the row. */
  auditSeq: number | null;
  detail: string;
}

/** A lock row as the deep verification reads it. */
export interface DeepLockRow {
  epc: string;
  cause: string;
  rule_key: string;
  state: string;
  disposition_id: string | null;
  hold_reason: string | null;
}

/** A stored quantity hold as `audit verify --deep` reads it: what the trail records of it. */
export type DeepHoldRow = Omit<QuantityHoldRow, 'reason' | 'created_at' | 'updated_at'>;

export interface DeepUserRow {
  id: string;
  username: string;
  printed_name: string;
  roles: string;
  disabled: number;
}

/** The rows of one master-data table, with the audit entity type that records their changes. */
export interface DeepMasterTable {
  /** The audit trail's `entity_type` (`location`, `product`, ...). */
  kind: string;
  table: string;
  /** The column the audit trail's `entity_id` names. */
  key: string;
  rows: ReadonlyArray<Record<string, unknown>>;
}

/** What the store reads for `audit verify --deep`: the trail in seq order and the tables it is compared with. */
export interface DeepVerifyData {
  audit: readonly AuditLogTable[];
  locks: readonly DeepLockRow[];
  /** Quantity holds (`quantity_holds`, 0027). */
  holds: readonly DeepHoldRow[];
  dispositions: readonly DispositionsTable[];
  /** The excursions dispositions were signed on, as stored now. */
  excursions: readonly StoredExcursion[];
  users: readonly DeepUserRow[];
  master: readonly DeepMasterTable[];
  /** The readings recomputed against their digests (`verifyReadingDigests`, read batch by batch). */
  readingDigests: ReadingDigestReport;
}

/**
 * One check of `audit verify --deep`: a pure comparison of what the store read. The checks run in a list
 * (`DEEP_CHECKS`), so another (e.g. of readings against their digests) is one more entry.
 */
export interface DeepCheck<D = DeepVerifyData> {
  name: string;
  /** What it compares, for the report. */
  covers: string;
  run(data: D): DeepFinding[];
}

/** The parsed `after` (or `before`) of an entry; undefined when absent or not an object. */
export function entryJson(json: string | null): Record<string, unknown> | undefined {
  if (json === null) return undefined;
  try {
    const v = JSON.parse(json) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Stored values compared across drivers: booleans as 0/1, numbers and numeric strings alike, undefined as null. */
export function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    v === undefined || v === null ? 'null' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return norm(a) === norm(b);
}

export const show = (v: unknown) => (v === undefined ? 'null' : JSON.stringify(v));
