import type { Alarm, Movement, Reading, Scan, Stream } from '@coldtrace/shared';
import type { AuditInput } from '../audit-chain.js';
import type { LocationSensorRow } from '../location-sensors.js';
import type { LotFields, StoredLot } from '../lot-change.js';
import type { ReadingDigestRow } from '../reading-digests.js';
import type { ReadingRollupRow } from '../reading-rollups.js';
import type { SpanChange, SpanRow } from './seq-spans.js';

/** A record of a stream; a `scan` is stored in `scans` (0023), every other movement in `movements`. */
export type StreamRecord = Reading | Movement | Scan | Alarm;

/** A scan's flag as stored (`scan_flags`, 0023). */
/** A stored reading as a sink's queue names it (`sink_outbox`). */
export interface SinkEntry {
  seq: number;
  ts: number;
}

export interface ScanFlagRow {
  gateway_id: string;
  seq: number;
  code: string;
  lot_id: string | null;
  epc: string | null;
  detail: string;
  created_at: number;
}

/** A dead letter written by ingest itself (a scan it cannot map; the rest of its batch is stored). */
export interface NewDeadLetterRow {
  received_at: number;
  topic: string;
  gateway_id: string | null;
  client_id: string | null;
  code: string;
  reason: string;
  payload: string;
  payload_bytes: number;
}

/** A buffer epoch (or fork) of a gateway stream as stored (`stream_epochs`). */
export interface EpochRow {
  epoch: string;
  epoch_index: number;
  seq_offset: number;
}

export interface NewEpochRow extends EpochRow {
  gateway_id: string;
  stream: Stream;
  first_seen_at: number;
  prev_epoch: string | null;
  prev_high_water: number | null;
}

/** An evaluation mark (docs/architecture.md "Evaluation marks"): what the domain engine must recompute. */
export interface NewMark {
  kind: 'location' | 'epc';
  subject: string;
  from_ts: number | null;
  to_ts: number | null;
  created_at: number;
}

export type RangeTable = 'stream_ranges' | 'thinned_ranges';

/**
 * What ingest asks of storage, and nothing more (docs/architecture.md "Broker and ingest"): the primitive
 * reads and writes of one ingest transaction. Every decision (epoch placement, forks for reused numbers,
 * span merges, marks, sink enqueue) is made by `ingestPlan` over these answers, so the synchronous SQLite
 * adapter and the Kysely adapter (PostgreSQL, and SQLite in the contract suite) execute the same
 * decisions. Written as synchronous signatures; `AsyncIngestStore` is the same port returning promises.
 */
export interface IngestStore {
  epochNamed(gatewayId: string, stream: Stream, epoch: string): EpochRow | undefined;
  /** The newest epoch the gateway named (forks excluded). */
  currentEpoch(gatewayId: string, stream: Stream): EpochRow | undefined;
  /** Largest epoch index of the stream, forks included; null when it has none. */
  maxEpochIndex(gatewayId: string, stream: Stream): number | null;
  /** Stored-seq offsets of the forks of epoch `base`, oldest first. */
  forkOffsets(gatewayId: string, stream: Stream, base: string): number[];
  /** Largest `to_seq` of the accepted ranges starting in [fromSeq, toSeq); null when none. */
  highWater(gatewayId: string, stream: Stream, fromSeq: number, toSeq: number): number | null;
  insertEpoch(row: NewEpochRow): void;
  appendAudit(entries: AuditInput[], at: number): void;
  /**
   * Inserts each record under stored seq `record.seq + offset` unless that key is taken; returns the
   * indexes of the records whose key was taken (none inserted for them).
   */
  insertRecords(
    stream: Stream,
    gatewayId: string,
    records: readonly StreamRecord[],
    offset: number,
    receivedAt: number,
  ): number[];
  /** Inserts one record under `storedSeq`; false when that key is taken. */
  insertRecordAt(
    stream: Stream,
    gatewayId: string,
    record: StreamRecord,
    storedSeq: number,
    receivedAt: number,
  ): boolean;
  /**
   * The stored row under a key, as its table's columns, when it may be the record of time `ts` (what the
   * callers compare it with): a row of another time may be left out, since the time is content. PostgreSQL
   * looks for a reading in `ts`'s month partition alone (docs/operations.md "Partitions of readings").
   */
  storedRecord(
    stream: Stream,
    gatewayId: string,
    storedSeq: number,
    ts: number,
  ): Record<string, unknown> | undefined;
  /** Rows of `table` overlapping or touching [from, to]. */
  rangesNear(table: RangeTable, gatewayId: string, stream: Stream, from: number, to: number): SpanRow[];
  applySpanChange(table: RangeTable, gatewayId: string, stream: Stream, change: SpanChange): void;
  /** Sinks that take readings now (`sink_state.enabled`), read in the ingest transaction. */
  enabledSinks(): string[];
  /** Queues each stored reading (its stored seq and time) for every sink. */
  enqueueSinks(sinks: readonly string[], gatewayId: string, stored: readonly SinkEntry[]): void;
  /** Inserts the marks; returns their ids in order. */
  insertMarks(marks: readonly NewMark[]): number[];
  /** The gateway's newest reading digest (the head of its chain), none before its first batch. */
  lastReadingDigest(gatewayId: string): { batch_index: number; chain: string } | undefined;
  insertReadingDigest(row: ReadingDigestRow): void;
  /**
   * Adds a batch's rollups (`rollupRows`, one per key, in key order) to the stored ones: a new key is
   * inserted, a stored one merged (`mergeAggregates`: least/greatest, sums added).
   */
  addRollups(rows: readonly ReadingRollupRow[]): void;
  /**
   * Widens `location_sensors` (0042, `locationSensorRows`: one per key, in key order) to cover a batch's
   * stored readings: a new key inserted, a stored one's span widened, never narrowed.
   */
  widenLocationSensors(rows: readonly LocationSensorRow[]): void;

  // ---- barcode scans (docs/barcode.md "Scans in the cloud", scan-mapping.ts) ----
  /** Those of `epcs` that are commissioned (first, sorted), then those only in `movements` (sorted). */
  knownEpcs(epcs: readonly string[]): string[];
  /** One EPC commissioned to a lot of this GTIN (its partition and filter are the product's), if any. */
  gtinSiblingEpc(gtin: string): string | undefined;
  lotByNumber(gtin: string, lotNumber: string): LotFields | undefined;
  /** The lot the EPC is commissioned to. */
  lotOfEpc(epc: string): LotFields | undefined;
  productExists(gtin: string): boolean;
  /** The GTIN an HIBC device identifier is linked to (`hibc_links`, 0028), if any. */
  hibcLinkGtin(di: string): string | undefined;
  /** Inserts a lot; false when its id is taken (nothing written). */
  insertLot(row: StoredLot): boolean;
  commissionEpc(epc: string, lotId: string, at: number): void;
  /** Records what a stored scan was mapped to. */
  setScanMapping(gatewayId: string, storedSeq: number, epc: string | null, lotId: string | null): void;
  /** The custody row of a serialised scan, in `movements` under the scan's own key. */
  insertScanMovement(gatewayId: string, storedSeq: number, row: MovementRow, receivedAt: number): void;
  /** Removes a stored scan (one ingest could not map: it goes to the dead letters instead). */
  deleteScan(gatewayId: string, storedSeq: number): void;
  insertScanFlags(rows: readonly ScanFlagRow[]): void;
  insertDeadLetter(row: NewDeadLetterRow): void;
  /** Whether the gateway has a dead letter with this code and reason not replayed yet. */
  openDeadLetter(gatewayId: string, code: string, reason: string): boolean;
}

/** A `movements` row's content columns (record-rows.ts `movementRow`). */
export type MovementRow = {
  epc: string;
  portal_id: string;
  kind: string;
  from_location: string | null;
  to_location: string;
  direction: string | null;
  ts: number;
  first_seen: number;
  last_seen: number;
  reads: number;
  peak_rssi: number;
};

export type AsyncIngestStore = {
  [K in keyof IngestStore]: (...args: Parameters<IngestStore[K]>) => Promise<ReturnType<IngestStore[K]>>;
};

type Op = keyof IngestStore;
export type IngestCall = { [K in Op]: { op: K; args: Parameters<IngestStore[K]> } }[Op];

/**
 * An ingest decision procedure: a generator that yields the storage calls it needs and receives their
 * answers (the "sans-I/O" style), so one procedure runs on a synchronous and an asynchronous store.
 */
export type Plan<T> = Generator<IngestCall, T, unknown>;

/** One storage call inside a plan: `const row = yield* call('epochNamed', gw, stream, epoch)`. */
export function* call<K extends Op>(
  op: K,
  ...args: Parameters<IngestStore[K]>
): Generator<IngestCall, ReturnType<IngestStore[K]>, unknown> {
  return (yield { op, args } as IngestCall) as ReturnType<IngestStore[K]>;
}

const invoke = (store: object, c: IngestCall): unknown =>
  (store as Record<Op, (...a: unknown[]) => unknown>)[c.op].apply(store, c.args);

/** Runs a plan against the synchronous store (inside the caller's transaction). */
export function runSync<T>(plan: Plan<T>, store: IngestStore): T {
  let step = plan.next();
  while (!step.done) step = plan.next(invoke(store, step.value));
  return step.value;
}

/** Runs a plan against the asynchronous store (inside the caller's transaction). */
export async function runAsync<T>(plan: Plan<T>, store: AsyncIngestStore): Promise<T> {
  let step = plan.next();
  while (!step.done) step = plan.next(await invoke(store, step.value));
  return step.value;
}
