import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColdtraceError, encodeGatewayPayload, type GatewayPayload, type Stream } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/record-buffer.js';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { encodeBatchJson } from '../../src/publisher/batch-json.js';
import { alarm, movement, reading, readings, T0 } from '../buffer/fixtures.js';

const SENT_AT = T0 + 5_000;

describe('encodeBatchJson: a batch from the stored JSON text', () => {
  let dir: string;
  let buffer: RecordBuffer;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-batch-json-'));
    buffer = openSqliteBuffer({ path: join(dir, 'buffer.db'), maxBytes: 100_000, thinWindowMs: 3_600_000 });
  });
  afterEach(() => {
    buffer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the publisher sent before: the parsed records, checked by the contract, then stringified. */
  function viaObjects(stream: Stream, afterSeq: number | undefined, limit: number): string {
    const page = buffer.peek(stream, { afterSeq, limit })!;
    const batch = {
      gatewayId: 'gw-1',
      firstSeq: page.firstSeq,
      lastSeq: page.lastSeq,
      sentAt: SENT_AT,
      epoch: buffer.epoch,
      records: page.records,
      ...(page.thinned.length ? { thinned: page.thinned } : {}),
    } as GatewayPayload<typeof stream>;
    return encodeGatewayPayload(stream, batch);
  }
  const viaText = (stream: Stream, afterSeq: number | undefined, limit: number) =>
    encodeBatchJson('gw-1', buffer.epoch, SENT_AT, buffer.peekJson(stream, { afterSeq, limit })!);

  it('is byte for byte the batch the contract encodes from the parsed records, on every stream', () => {
    buffer.append('readings', [
      ...readings(3),
      reading(3, { tempC: null, quality: 'timeout' }),
      reading(4, { rh: null }),
      reading(5, { rh: undefined }),
    ]);
    buffer.append('movements', [
      movement(0),
      { ...movement(1), from: null, direction: null, kind: 'presence' },
    ]);
    // Non-ASCII text: the payload's byte length is not its length in characters.
    buffer.append('alarms', [alarm(0), { ...alarm(1), message: 'Kühlraum 2 über 8 °C' }]);
    for (const s of ['readings', 'movements', 'alarms'] as const) {
      expect(viaText(s, undefined, 100)).toBe(viaObjects(s, undefined, 100));
      expect(viaText(s, 1, 1)).toBe(viaObjects(s, 1, 1));
    }
  });

  it('carries thinned ranges, also in a batch that holds no record', () => {
    let i = 0;
    while (buffer.stats().thinned === 0) {
      buffer.append('readings', readings(50, i));
      i += 50;
    }
    const page = buffer.peekJson('readings', { limit: 5000 })!;
    expect(page.thinned.length).toBeGreaterThan(0);
    expect(viaText('readings', undefined, 5000)).toBe(viaObjects('readings', undefined, 5000));
    const range = page.thinned[0]!;
    const onlyThinned = encodeBatchJson('gw-1', buffer.epoch, SENT_AT, {
      records: [],
      thinned: [range],
      firstSeq: range.from,
      lastSeq: range.to,
    });
    expect(JSON.parse(onlyThinned)).toEqual({
      gatewayId: 'gw-1',
      firstSeq: range.from,
      lastSeq: range.to,
      sentAt: SENT_AT,
      epoch: buffer.epoch,
      records: [],
      thinned: [range],
    });
  });

  it('refuses an envelope the contract would refuse, with a code', () => {
    buffer.append('readings', readings(2));
    const span = () => buffer.peekJson('readings', { limit: 10 })!;
    const refused = (f: () => unknown, what: RegExp) => {
      expect(f).toThrow(ColdtraceError);
      expect(f).toThrow(what);
      try {
        f();
      } catch (err) {
        expect((err as ColdtraceError).code).toBe('invalid_batch');
      }
    };
    refused(() => encodeBatchJson('gw-1', buffer.epoch, 1_000, span()), /sentAt/);
    refused(() => encodeBatchJson('gw/1', buffer.epoch, SENT_AT, span()), /gatewayId/);
    refused(() => encodeBatchJson('gw-1', 'not-an-epoch', SENT_AT, span()), /epoch/);
    refused(
      () => encodeBatchJson('gw-1', buffer.epoch, SENT_AT, { ...span(), firstSeq: 3, lastSeq: 2 }),
      /lastSeq/,
    );
    const tooMany = { ...span(), records: Array.from({ length: 5001 }, () => '{}') };
    refused(() => encodeBatchJson('gw-1', buffer.epoch, SENT_AT, tooMany), /records/);
  });
});
