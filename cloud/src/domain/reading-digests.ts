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
 * A `readings` row without its gateway (store/schema.ts `ReadingsTable` adds it): what a digest covers.
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
 * One stored reading as a line of its batch's digest. Ids are limited to characters without tabs or
 * newlines (the contract's id pattern) and the quality is a word, so the lines are unambiguous; numbers
 * are JavaScript's shortest round-trip form, which SQLite REAL and PostgreSQL double precision give back
 * unchanged.
 */
export function readingLine(
  seq: number,
  sensorId: string,
  locationId: string,
  ts: number,
  tempC: number | null,
  rh: number | null,
  quality: string,
  receivedAt: number,
): string {
  return `${seq}\t${sensorId}\t${locationId}\t${ts}\t${tempC ?? ''}\t${rh ?? ''}\t${quality}\t${receivedAt}\n`;
}

const digestHeader = (gatewayId: string) => `readings\t${gatewayId}\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** SHA-256 over `rows` (ascending stored seq) of one gateway, as read back from `readings`. */
export function readingsDigest(gatewayId: string, rows: readonly ReadingRow[]): string {
  let text = digestHeader(gatewayId);
  for (const r of rows) {
    text += readingLine(
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
  return sha256(text);
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

/** A reading a batch stored, under its stored seq (its wire seq plus its epoch's offset). */
export interface StoredReading {
  seq: number;
  reading: Reading;
}

/**
 * The digest row of the readings one batch stored (`stored`, ascending seq; arrival time `receivedAt`),
 * linked after `prev` (the gateway's last row, none for its first batch). Built from the records as ingest
 * inserts them, with the same lines as `readingsDigest` over the rows read back.
 */
export function readingDigestRow(
  gatewayId: string,
  stored: readonly StoredReading[],
  receivedAt: number,
  prev: { batch_index: number; chain: string } | undefined,
): ReadingDigestRow {
  let text = digestHeader(gatewayId);
  const seqs: number[] = [];
  for (const { seq, reading: r } of stored) {
    seqs.push(seq);
    text += readingLine(seq, r.sensorId, r.locationId, r.ts, r.tempC, r.rh ?? null, r.quality, receivedAt);
  }
  const row: Omit<ReadingDigestRow, 'chain'> = {
    gateway_id: gatewayId,
    batch_index: prev ? Number(prev.batch_index) + 1 : 1,
    from_seq: seqs[0]!,
    to_seq: seqs[seqs.length - 1]!,
    seqs: encodeSpans(seqs),
    count: seqs.length,
    digest: sha256(text),
    created_at: receivedAt,
  };
  return { ...row, chain: digestChainHash(prev?.chain ?? DIGEST_GENESIS, row) };
}

/** Whether `seq` is in the spans (sorted, as `decodeSpans` gives them). */
export function inSpans(spans: ReadonlyArray<[number, number]>, seq: number): boolean {
  for (const [from, to] of spans) if (seq >= from && seq <= to) return true;
  return false;
}
