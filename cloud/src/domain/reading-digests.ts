import { createHash } from 'node:crypto';
import type { Reading } from '@coldtrace/shared';
import { GENESIS_HASH } from './audit-chain.js';

/**
 * Reading digests (docs/architecture.md "Audit trail", reading digests): every batch of readings ingest
 * stores records a SHA-256 over the rows it stored, in the same transaction, as one link of a per-gateway
 * chain; checkpoints sign each gateway's last link. The digest is over the rows as stored (stored seq,
 * content, arrival time), so recomputing it from the `readings` table finds a deleted or edited row.
 */

/**
 * A `readings` row without its gateway (store/schema/ingest-tables.ts `ReadingsTable` adds it): what a digest covers.
 * PostgreSQL bigints may arrive as strings: read with Number.
 */
export interface ReadingRow {
  seq: number;
  sensor_id: string;
  location_id: string;
  ts: number;
  temp_c: number | null;
  rh: number | null;
  quality: string;
  received_at: number;
}

/** One batch's digest as stored (`reading_digests`). */
export interface ReadingDigestRow {
  gateway_id: string;
  /** 1, 2, 3, … per gateway: a deleted batch leaves a gap. */
  batch_index: number;
  from_seq: number;
  to_seq: number;
  /** The stored seqs the batch inserted, as spans `a-b,c-d` (a duplicate it skipped is not in them). */
  seqs: string;
  count: number;
  /** SHA-256 over the batch's rows (`readingsDigest`). */
  digest: string;
  /** SHA-256 over the previous batch's `chain` and this row's fields (`digestChainHash`). */
  chain: string;
  created_at: number;
}

/** The head of a gateway's digest chain: what a checkpoint signs. */
export interface DigestHead {
  gateway: string;
  batches: number;
  chain: string;
}

/** Chain value before a gateway's first batch. */
export const DIGEST_GENESIS = GENESIS_HASH;

/**
 * The bytes a batch's digest is taken over: a header (`readings`, the gateway id), then per reading its
 * stored seq, sensor, location, data time, value, humidity, quality and arrival time. Numbers are IEEE-754
 * float64 little-endian (exactly what SQLite REAL/INTEGER and PostgreSQL double precision/bigint give back;
 * -0 is written as 0, since SQLite may store an integral REAL as an integer), a null value is a 0 byte where
 * a present one is a 1 byte and the number, strings are UTF-8 after their byte length (uint32). Binary,
 * not text: formatting each number as text cost more than the rest of the digest.
 */
class DigestBytes {
  // One scratch buffer for every digest: each is computed synchronously from start to end.
  private static scratch = Buffer.allocUnsafe(64 * 1024);
  private buf = DigestBytes.scratch;
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private at = 0;

  constructor(gatewayId: string) {
    this.str('readings');
    this.str(gatewayId);
  }

  row(
    seq: number,
    sensorId: string,
    locationId: string,
    ts: number,
    tempC: number | null,
    rh: number | null,
    quality: string,
    receivedAt: number,
  ): void {
    this.room(64 + 3 * (sensorId.length + locationId.length + quality.length));
    this.num(seq);
    this.str(sensorId);
    this.str(locationId);
    this.num(ts);
    this.opt(tempC);
    this.opt(rh);
    this.str(quality);
    this.num(receivedAt);
  }

  sha256(): string {
    return createHash('sha256').update(this.buf.subarray(0, this.at)).digest('hex');
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    DigestBytes.scratch = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  /** Callers make room first (`row` for a whole reading, `str` for itself). */
  private num(v: number): void {
    this.view.setFloat64(this.at, v === 0 ? 0 : v, true);
    this.at += 8;
  }

  private opt(v: number | null): void {
    if (v === null) {
      this.buf[this.at++] = 0;
      return;
    }
    this.buf[this.at++] = 1;
    this.num(v);
  }

  private str(s: string): void {
    this.room(4 + s.length * 3);
    const n = this.buf.write(s, this.at + 4, 'utf8');
    this.view.setUint32(this.at, n, true);
    this.at += 4 + n;
  }
}

/** SHA-256 over `rows` (ascending stored seq) of one gateway, as read back from `readings`. */
export function readingsDigest(gatewayId: string, rows: readonly ReadingRow[]): string {
  const bytes = new DigestBytes(gatewayId);
  for (const r of rows) {
    bytes.row(
      Number(r.seq),
      r.sensor_id,
      r.location_id,
      Number(r.ts),
      num(r.temp_c),
      num(r.rh),
      r.quality,
      Number(r.received_at),
    );
  }
  return bytes.sha256();
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

/** Sorted distinct seqs as spans `a-b,c-d` (`a` alone for a span of one). */
export function encodeSpans(sortedSeqs: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sortedSeqs.length) {
    const from = sortedSeqs[i]!;
    let to = from;
    while (i + 1 < sortedSeqs.length && sortedSeqs[i + 1] === to + 1) to = sortedSeqs[++i]!;
    parts.push(from === to ? `${from}` : `${from}-${to}`);
    i++;
  }
  return parts.join(',');
}

/** The spans of `encodeSpans`, as [from, to] pairs; throws on text it did not write. */
export function decodeSpans(text: string): Array<[number, number]> {
  if (text === '') return [];
  return text.split(',').map((p) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) throw new Error(`not a span list: ${JSON.stringify(text)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`not a span list: ${JSON.stringify(text)}`);
    return [from, to] as [number, number];
  });
}

/** The link of a digest row: what deleting, editing or reordering a digest row breaks. */
export function digestChainHash(prevChain: string, row: Omit<ReadingDigestRow, 'chain'>): string {
  const fields = [
    row.gateway_id,
    Number(row.batch_index),
    Number(row.from_seq),
    Number(row.to_seq),
    row.seqs,
    Number(row.count),
    row.digest,
    Number(row.created_at),
  ].join('\t');
  return createHash('sha256').update(prevChain).update('\n').update(fields).digest('hex');
}

/** The readings a batch stored: `seqs[i]` (ascending) is the stored seq of `records[i]`. */
export interface StoredReadings {
  seqs: readonly number[];
  records: readonly Reading[];
}

/**
 * The digest row of the readings one batch stored (arrival time `receivedAt`), linked after `prev` (the
 * gateway's last row, none for its first batch). Built from the records as ingest inserts them, with the
 * same bytes as `readingsDigest` over the rows read back.
 */
export function readingDigestRow(
  gatewayId: string,
  stored: StoredReadings,
  receivedAt: number,
  prev: { batch_index: number; chain: string } | undefined,
): ReadingDigestRow {
  const bytes = new DigestBytes(gatewayId);
  const { seqs, records } = stored;
  for (let i = 0; i < seqs.length; i++) {
    const r = records[i]!;
    bytes.row(seqs[i]!, r.sensorId, r.locationId, r.ts, r.tempC, r.rh ?? null, r.quality, receivedAt);
  }
  const row: Omit<ReadingDigestRow, 'chain'> = {
    gateway_id: gatewayId,
    batch_index: prev ? Number(prev.batch_index) + 1 : 1,
    from_seq: seqs[0]!,
    to_seq: seqs[seqs.length - 1]!,
    seqs: encodeSpans(seqs),
    count: seqs.length,
    digest: bytes.sha256(),
    created_at: receivedAt,
  };
  return { ...row, chain: digestChainHash(prev?.chain ?? DIGEST_GENESIS, row) };
}

/** Whether `seq` is in the spans (sorted, as `decodeSpans` gives them). */
export function inSpans(spans: ReadonlyArray<[number, number]>, seq: number): boolean {
  for (const [from, to] of spans) if (seq >= from && seq <= to) return true;
  return false;
}
