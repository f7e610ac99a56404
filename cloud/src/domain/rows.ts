/**
 * The stored shape of the records the domain reads and writes (docs/architecture.md "Cloud"): plain
 * data; the store's schema (`store/schema.ts`) declares its tables with these.
 */

export interface LocationsTable {
  id: string;
  name: string;
  kind: string;
  min_c: number;
  max_c: number;
  alarm_delay_ms: number;
  critical_margin_c: number;
  max_gap_ms: number;
  created_at: number;
  updated_at: number;
}

export interface ExcursionsTable {
  id: string;
  location_id: string;
  start_ts: number;
  end_ts: number | null;
  last_ts: number;
  excursion_at: number | null;
  duration_ms: number;
  min_c: number;
  max_c: number;
  peak_c: number;
  critical: number;
  degree_minutes: number;
  mkt_c: number | null;
  sensor_ids: string;
  state: string;
  updated_at: number;
}

/** Columns 0002-domain adds to `excursions` (defaults keep older inserts valid); read via `DomainDatabase`. */
export interface ExcursionDomainColumns {
  created_at: number;
  /** 'pending' (needs QA review) | 'decided' (no active lock left after dispositions). */
  review_state: string;
  /** Incremented whenever recomputation changes the excursion's content. */
  version: number;
  out_of_range_ms: number;
}

export interface DispositionsTable {
  id: string;
  excursion_id: string;
  scope: string;
  lot_id: string | null;
  epc: string | null;
  decision: string;
  reason: string;
  signer_id: string;
  signer_username: string;
  printed_name: string;
  meaning: string;
  signed_at: number;
  excursion_version: number;
  units: number;
  /** The signed manifest's canonical JSON and SHA-256 (domain/signature-manifest.ts); null before migration 0017. */
  manifest_json: string | null;
  manifest_hash: string | null;
}

/** A stored excursion with its domain columns. */
export type StoredExcursion = ExcursionsTable & ExcursionDomainColumns;

/**
 * A stored lock (`locks`): `cause` is the rule that locked the unit, `rule_key` what within it (an
 * excursion's id, a cumulative rule's `<lot>:<rule>`, a rate alarm's id); `excursion_id` is set for
 * excursion locks only.
 */
export interface LockRow {
  epc: string;
  rule_key: string;
  excursion_id: string | null;
  location_id: string;
  exposed_from: number;
  exposed_to: number | null;
  state: string;
  reason: string;
  disposition_id: string | null;
  cause: string;
  hold_reason: string | null;
  created_at: number;
  updated_at: number;
}
