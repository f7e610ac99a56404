import { alarmsBatchSchema, movementsBatchSchema, readingsBatchSchema, type Stream } from '@coldtrace/shared';
import { expect } from 'vitest';
import type { BufferEvent, PeekOptions, RecordBuffer } from '../../src/buffer/record-buffer.js';
import { T0 } from './fixtures.js';

export interface ContractOpenOptions {
  maxBytes?: number;
  thinWindowMs?: number;
  onEvent?: (e: BufferEvent) => void;
}
/** Opens (or reopens) the backend's buffer stored in `dir`. */
export type OpenBuffer = (dir: string, opts?: ContractOpenOptions) => RecordBuffer;
/**
 * What a power loss or SIGKILL right now would leave on disk: copies the backend's files from `dir` into
 * `into` while the buffer stays open (no close, no checkpoint, no flush). Between two calls every
 * operation has returned, so the image holds exactly what the backend made durable.
 */
export type CrashImage = (dir: string, into: string) => void;

/** A bound no contract test reaches unless it means to. */
export const BIG = 256 * 1024 * 1024;
const batchSchemas = {
  readings: readingsBatchSchema,
  movements: movementsBatchSchema,
  alarms: alarmsBatchSchema,
};

/** `peekJson` gives the span `peek` gives, each record as the JSON text that parses to it. */
export function expectSameSpan(buf: RecordBuffer, stream: Stream, opts: PeekOptions) {
  const page = buf.peek(stream, opts);
  const json = buf.peekJson(stream, opts);
  if (!page) return expect(json).toBeNull();
  expect(json).not.toBeNull();
  expect({ ...json!, records: json!.records.map((t) => JSON.parse(t) as unknown) }).toEqual(page);
}

/** Reads a whole stream through peek pages, checking each page is a valid wire batch. */
export function drain(buf: RecordBuffer, stream: Stream, limit = 1000) {
  const seqs: number[] = [];
  const thinned: Array<{ from: number; to: number }> = [];
  const records: unknown[] = [];
  let after: number | undefined;
  for (;;) {
    expectSameSpan(buf, stream, { afterSeq: after, limit });
    const page = buf.peek(stream, { afterSeq: after, limit });
    if (!page) break;
    const batch = {
      gatewayId: 'gw-1',
      firstSeq: page.firstSeq,
      lastSeq: page.lastSeq,
      sentAt: T0,
      records: page.records,
      ...(page.thinned.length ? { thinned: page.thinned } : {}),
    };
    const parsed = batchSchemas[stream].safeParse(batch);
    if (!parsed.success) throw new Error(`invalid batch: ${parsed.error.message}`);
    if (after !== undefined) expect(page.firstSeq).toBe(after + 1);
    for (const r of page.records) {
      seqs.push(r.seq);
      records.push(r);
    }
    thinned.push(...page.thinned);
    after = page.lastSeq;
  }
  return { seqs, thinned, records, lastSeq: after };
}
