import {
  ColdtraceError,
  gatewayTopic,
  type Movement,
  type Reading,
  type Scan,
  type Stream,
} from '@coldtrace/shared';
import { locationSensorRows } from '../location-sensors.js';
import { readingDigestRow, type StoredReadings } from '../reading-digests.js';
import { rollupRows } from '../reading-rollups.js';
import { type EpochPlacement, offsetCoverage, placeEpoch, type SequenceReset } from './epochs.js';
import {
  call,
  type NewMark,
  type Plan,
  type RangeTable,
  type SinkEntry,
  type StreamRecord,
} from './ingest-store.js';
import { scanMovementRow } from './record-rows.js';
import { DEFAULT_SCAN_MAPPING, mapScan, type ScanMappingOptions } from './scan-mapping.js';
import { mergeSpan, type SeqSpan } from './seq-spans.js';
import { placeTaken, type SequenceReuse, type TakenOutcome } from './sequence-reuse.js';

/** A batch as ingest stores it (the wire contract's readings, movements and alarms batches). */
export interface IngestBatch {
  firstSeq: number;
  lastSeq: number;
  epoch?: string | undefined;
  records: readonly StreamRecord[];
  thinned?: readonly SeqSpan[] | undefined;
  /** The gateway's send time (kept in the dead letter of a scan ingest cannot map). */
  sentAt?: number | undefined;
}

/** A scan ingest could not map: stored as a dead letter of its own, the rest of its batch stored. */
export interface ScanDeadLetter {
  seq: number;
  code: string;
  reason: string;
}

export interface IngestResult {
  inserted: number;
  duplicates: number;
  /**
   * Readings only, when any was new: location id → id of the evaluation mark committed with them, so the
   * domain engine can clear a mark whose window it proved changes nothing.
   */
  marks?: ReadonlyMap<string, number>;
  /** The batch started a new buffer epoch after another: a sequence reset (audited with the batch). */
  sequenceReset?: SequenceReset;
  /** The batch's epoch became the stream's first known epoch (offset 0). */
  epochAdopted?: string;
  /** Records stored in a fork of their epoch: their number was taken by another record (sequence-reuse.ts). */
  reused?: number;
  /** Forks this batch opened, each audited as `gateway.sequence_reuse`. */
  sequenceReuses?: SequenceReuse[];
  /**
   * A movements batch holding scans, when any record was new: the EPCs whose custody may have changed
   * (its passes' and its mapped scans'); without scans they are the records' EPCs.
   */
  epcs?: ReadonlySet<string>;
  /** Scans that became dead letters (each its own, in this transaction). */
  scanDeadLetters?: ScanDeadLetter[];
  /**
   * A movements batch with new scans of units without serial: per location, the event-time window of
   * those scans and the id of the location's evaluation mark committed with them (the domain engine
   * recomputes the location's quantity holds, docs/barcode.md "Quantity custody").
   */
  quantityLocations?: ReadonlyMap<string, MarkWindow & { mark: number }>;
}

export interface MarkWindow {
  fromTs: number;
  toTs: number;
}

/** Per location, the event-time window of a batch's readings: one evaluation mark each. */
export function readingWindows(
  records: ReadonlyArray<{ locationId: string; ts: number }>,
): Map<string, MarkWindow> {
  const out = new Map<string, MarkWindow>();
  for (const r of records) {
    const w = out.get(r.locationId);
    if (!w) out.set(r.locationId, { fromTs: r.ts, toTs: r.ts });
    else {
      if (r.ts < w.fromTs) w.fromTs = r.ts;
      if (r.ts > w.toTs) w.toTs = r.ts;
    }
  }
  return out;
}

/**
 * docs/architecture.md "Broker and ingest": one batch, in one transaction. Its epoch placement (its seqs
 * move into the epoch's stored sequence space; a reset is audited), the records (a taken number is a
 * duplicate or a reused number stored in a fork), each new reading enqueued for every enabled sink, the
 * digest of the readings stored (the next link of the gateway's digest chain, "Audit trail"), their
 * rollups ("Reading rollups") and sensor spans ("Lot assessment cache"), the thinned ranges and the coverage it declares merged into the stored
 * ones, and, when any record was new, the evaluation marks of what the domain engine must recompute (per
 * location and batch for readings, per EPC for movements).
 */
export function* ingestPlan(
  stream: Stream,
  gatewayId: string,
  batch: IngestBatch,
  receivedAt: number,
  scanMapping: ScanMappingOptions = DEFAULT_SCAN_MAPPING,
): Plan<IngestResult> {
  const place: EpochPlacement = yield* placeEpoch(gatewayId, stream, batch.epoch, receivedAt);
  // Read inside the transaction, so a sink enabled or disabled meanwhile applies to whole batches.
  const sinks = stream === 'readings' ? yield* call('enabledSinks') : [];
  const records = batch.records;
  const taken = yield* call('insertRecords', stream, gatewayId, records, place.offset, receivedAt);
  let forked: TakenOutcome = { storedSeqs: [], stored: [], reuses: [] };
  if (taken.length > 0) {
    const again = taken.map((i) => records[i]!);
    forked = yield* placeTaken(stream, gatewayId, place.epoch, place.offset, again, receivedAt);
  }
  let inserted = records.length - taken.length + forked.storedSeqs.length;
  // Barcode scans newly stored are mapped (docs/barcode.md "Scans in the cloud"); one that cannot be is
  // removed again and becomes a dead letter of its own, leaving a hole in the stream's coverage until its
  // replay fills it.
  let scans: ScansDone = { epcs: new Set(), quantities: new Map(), deadLetters: [], holes: [], again: 0 };
  const batchHasScans = stream === 'movements' && records.some((r) => (r as Scan).kind === 'scan');
  if (batchHasScans) {
    const fresh: Array<{ scan: Scan; storedSeq: number; main: boolean }> = [];
    const skip = new Set(taken);
    records.forEach((r, i) => {
      if (!skip.has(i) && (r as Scan).kind === 'scan') {
        fresh.push({ scan: r as Scan, storedSeq: r.seq + place.offset, main: true });
      }
    });
    forked.stored.forEach((r, i) => {
      if ((r as Scan).kind === 'scan')
        fresh.push({ scan: r as Scan, storedSeq: forked.storedSeqs[i]!, main: false });
    });
    if (fresh.length > 0) {
      scans = yield* mapScans(gatewayId, batch, fresh, receivedAt, scanMapping);
      inserted -= scans.deadLetters.length + scans.again;
    }
  }
  if (sinks.length > 0 && inserted > 0) {
    // Only records really stored are enqueued (a duplicate is not), in stored-seq order per batch.
    // Sinks take readings only (`sinks` is empty for other streams): each is queued with its time.
    const skip = new Set(taken);
    const queued: SinkEntry[] = [];
    records.forEach((r, i) => {
      if (!skip.has(i)) queued.push({ seq: r.seq + place.offset, ts: (r as Reading).ts });
    });
    forked.stored.forEach((r, i) => {
      queued.push({ seq: forked.storedSeqs[i]!, ts: (r as Reading).ts });
    });
    yield* call('enqueueSinks', sinks, gatewayId, queued);
  }
  if (stream === 'readings' && inserted > 0) {
    const stored = storedReadings(records as readonly Reading[], taken, place.offset, forked);
    const prev = yield* call('lastReadingDigest', gatewayId);
    yield* call('insertReadingDigest', readingDigestRow(gatewayId, stored, receivedAt, prev));
    // The rollups of exactly the readings stored (a duplicate is not), in this transaction.
    const rollups = rollupRows(gatewayId, stored.records);
    if (rollups.length > 0) yield* call('addRollups', rollups);
    // Which sensors read at each location, and when (what the lot assessment cache checks a sensor set by).
    yield* call('widenLocationSensors', locationSensorRows(gatewayId, stored.records));
  }
  const cov = offsetCoverage(batch, place.offset);
  for (const t of cov.thinned) yield* mergeInto('thinned_ranges', gatewayId, stream, t, receivedAt);
  for (const span of withoutHoles({ from: cov.firstSeq, to: cov.lastSeq }, scans.holes)) {
    yield* mergeInto('stream_ranges', gatewayId, stream, span);
  }
  const result: IngestResult = {
    inserted,
    duplicates: records.length - inserted - scans.deadLetters.length,
  };
  if (scans.deadLetters.length > 0) result.scanDeadLetters = scans.deadLetters;
  if (inserted > 0 && stream !== 'alarms') {
    const marks = marksOf(stream, records, receivedAt, scans.epcs);
    if (stream === 'movements' && batchHasScans) result.epcs = new Set(marks.map((m) => m.subject));
    // Scans of units without serial change their location's quantity holds: a location mark each.
    const quantityMarks = [...scans.quantities].map(([subject, w]) => ({
      kind: 'location' as const,
      subject,
      from_ts: w.fromTs,
      to_ts: w.toTs,
      created_at: receivedAt,
    }));
    const ids = yield* call('insertMarks', [...marks, ...quantityMarks]);
    if (stream === 'readings') result.marks = new Map(marks.map((m, i) => [m.subject, ids[i]!]));
    if (quantityMarks.length > 0)
      result.quantityLocations = new Map(
        quantityMarks.map((m, i) => [
          m.subject,
          { fromTs: m.from_ts, toTs: m.to_ts, mark: ids[marks.length + i]! },
        ]),
      );
  }
  if (place.reset) result.sequenceReset = place.reset;
  if (place.adopted) result.epochAdopted = place.adopted;
  if (forked.storedSeqs.length > 0) result.reused = forked.storedSeqs.length;
  if (forked.reuses.length > 0) result.sequenceReuses = forked.reuses;
  return result;
}

/**
 * The readings a batch stored, ascending by stored seq, for its digest (docs/architecture.md "Audit
 * trail"): the records whose key was free, then those stored in forks (parallel arrays: no object per
 * reading on the ingest path).
 */
function storedReadings(
  records: readonly Reading[],
  taken: readonly number[],
  offset: number,
  forked: TakenOutcome,
): StoredReadings {
  const skip = taken.length > 0 ? new Set(taken) : undefined;
  const seqs: number[] = [];
  const stored: Reading[] = [];
  for (let i = 0; i < records.length; i++) {
    if (skip?.has(i)) continue;
    seqs.push(records[i]!.seq + offset);
    stored.push(records[i]!);
  }
  seqs.push(...forked.storedSeqs);
  stored.push(...(forked.stored as Reading[]));
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i]! < seqs[i - 1]!) {
      const order = seqs.map((_, j) => j).sort((x, y) => seqs[x]! - seqs[y]!);
      return { seqs: order.map((j) => seqs[j]!), records: order.map((j) => stored[j]!) };
    }
  }
  return { seqs, records: stored };
}

function marksOf(
  stream: Stream,
  records: readonly StreamRecord[],
  now: number,
  scanEpcs: ReadonlySet<string>,
): NewMark[] {
  if (stream === 'readings') {
    return [...readingWindows(records as Reading[])].map(([subject, w]) => ({
      kind: 'location',
      subject,
      from_ts: w.fromTs,
      to_ts: w.toTs,
      created_at: now,
    }));
  }
  const epcs = new Set<string>();
  for (const m of records as readonly Movement[]) if (m.kind !== ('scan' as string)) epcs.add(m.epc);
  for (const e of scanEpcs) epcs.add(e);
  return [...epcs].map((subject) => ({ kind: 'epc', subject, from_ts: null, to_ts: null, created_at: now }));
}

/** A span joined with the stored rows of `table` it overlaps or touches (see `mergeSpan`). */
function* mergeInto(
  table: RangeTable,
  gatewayId: string,
  stream: Stream,
  span: SeqSpan,
  receivedAt?: number,
): Plan<void> {
  const near = yield* call('rangesNear', table, gatewayId, stream, span.from, span.to);
  const change = mergeSpan(near, span, receivedAt);
  if (change) yield* call('applySpanChange', table, gatewayId, stream, change);
}

interface ScansDone {
  /** EPCs of the serialised scans mapped (their custody changes). */
  epcs: Set<string>;
  /** Per location, the event-time window of the scans of units without serial mapped (their lot's count). */
  quantities: Map<string, MarkWindow>;
  deadLetters: ScanDeadLetter[];
  /** Stored seqs (in the epoch's own space) of scans turned into dead letters: not covered. */
  holes: number[];
  /** Scans whose dead letter was on record already (a redelivered batch): duplicates. */
  again: number;
}

/**
 * Maps each newly stored scan (`mapScan`) and writes what it became: a unit (its mapping, its custody row
 * in `movements`), a lot quantity (its mapping), flags; or a dead letter holding a batch of that scan
 * alone (same gateway, epoch and seq), so its replay stores it where it belongs.
 */
function* mapScans(
  gatewayId: string,
  batch: IngestBatch,
  fresh: ReadonlyArray<{ scan: Scan; storedSeq: number; main: boolean }>,
  receivedAt: number,
  opts: ScanMappingOptions,
): Plan<ScansDone> {
  const done: ScansDone = { epcs: new Set(), quantities: new Map(), deadLetters: [], holes: [], again: 0 };
  for (const { scan, storedSeq, main } of fresh) {
    const out = yield* mapScan(scan, opts, receivedAt);
    if (out.kind === 'dead_letter') {
      if (opts.strict) throw new ColdtraceError(out.code, `scan ${scan.seq}: ${out.reason}`);
      yield* call('deleteScan', gatewayId, storedSeq);
      if (main) done.holes.push(storedSeq);
      const reason =
        `scan ${scan.seq} of epoch ${batch.epoch ?? '(none)'} (${scan.code.slice(0, 100)}): ${out.reason}`.slice(
          0,
          2000,
        );
      // The same batch delivered again (its acknowledgement lost): the scan's dead letter is on record.
      if (yield* call('openDeadLetter', gatewayId, out.code, reason)) {
        done.again++;
        continue;
      }
      const one = {
        gatewayId,
        firstSeq: scan.seq,
        lastSeq: scan.seq,
        sentAt: batch.sentAt ?? receivedAt,
        ...(batch.epoch === undefined ? {} : { epoch: batch.epoch }),
        records: [scan],
      };
      const payload = JSON.stringify(one);
      yield* call('insertDeadLetter', {
        received_at: receivedAt,
        topic: gatewayTopic(gatewayId, 'movements'),
        gateway_id: gatewayId,
        client_id: null,
        code: out.code,
        reason,
        payload,
        payload_bytes: Buffer.byteLength(payload),
      });
      done.deadLetters.push({ seq: scan.seq, code: out.code, reason: out.reason });
      continue;
    }
    const epc = out.kind === 'unit' ? out.epc : null;
    yield* call('setScanMapping', gatewayId, storedSeq, epc, out.lotId);
    if (epc !== null) {
      yield* call('insertScanMovement', gatewayId, storedSeq, scanMovementRow(scan, epc), receivedAt);
      done.epcs.add(epc);
    } else if (out.kind === 'quantity') {
      const w = done.quantities.get(scan.locationId);
      if (!w) done.quantities.set(scan.locationId, { fromTs: scan.ts, toTs: scan.ts });
      else {
        w.fromTs = Math.min(w.fromTs, scan.ts);
        w.toTs = Math.max(w.toTs, scan.ts);
      }
    }
    if (out.flags.length > 0) {
      yield* call(
        'insertScanFlags',
        out.flags.map((f) => ({
          gateway_id: gatewayId,
          seq: storedSeq,
          code: f.code,
          lot_id: out.lotId,
          epc,
          detail: f.detail,
          created_at: receivedAt,
        })),
      );
    }
  }
  return done;
}

/** `span` without the seqs in `holes` (each a point), as the spans that remain. */
export function withoutHoles(span: SeqSpan, holes: readonly number[]): SeqSpan[] {
  if (holes.length === 0) return [span];
  const out: SeqSpan[] = [];
  let from = span.from;
  for (const h of [...holes].sort((a, b) => a - b)) {
    if (h < from || h > span.to) continue;
    if (h > from) out.push({ from, to: h - 1 });
    from = h + 1;
  }
  if (from <= span.to) out.push({ from, to: span.to });
  return out;
}
