import { ColdtraceError } from '@coldtrace/shared';
import { expect, it } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/record-buffer.js';
import { BIG, type ContractOpenOptions, drain, expectSameSpan } from './buffer-contract-support.js';
import { alarm, movement, reading, readings, T0 } from './fixtures.js';

/**
 * Sequence numbers, peek pages, acks, reopening and the wire-contract check on append: part of the
 * RecordBuffer contract (`runBufferContract`), run against every backend.
 */
export function sequenceContract(reopen: (opts?: ContractOpenOptions) => RecordBuffer): void {
  it('assigns sequence numbers from 1, per stream, and returns the stored records', () => {
    const b = reopen({ maxBytes: BIG });
    const out = b.append('readings', readings(3));
    expect(out.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(out[0]).toMatchObject({ ...reading(0), seq: 1 });
    expect(b.append('movements', [movement(0)])[0]!.seq).toBe(1);
    expect(b.append('readings', readings(2, 3)).map((r) => r.seq)).toEqual([4, 5]);
    expect(b.lastSeq('readings')).toBe(5);
    expect(b.lastSeq('alarms')).toBe(0);
    expect(b.append('readings', [])).toEqual([]);
    const page = b.peek('readings', { limit: 10 });
    expect(page).toMatchObject({ firstSeq: 1, lastSeq: 5, thinned: [] });
    expect(page!.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(page!.records[3]).toEqual({ ...reading(3), seq: 4 });
  });

  it('peeks in pages by limit, afterSeq and maxBytes without gaps or overlaps', () => {
    const b = reopen({ maxBytes: BIG });
    b.append('readings', readings(250));
    expect(b.peek('readings', { limit: 100 })).toMatchObject({ firstSeq: 1, lastSeq: 100 });
    expect(b.peek('readings', { afterSeq: 100, limit: 100 })).toMatchObject({
      firstSeq: 101,
      lastSeq: 200,
    });
    expect(b.peek('readings', { afterSeq: 200, limit: 100 })).toMatchObject({
      firstSeq: 201,
      lastSeq: 250,
    });
    expect(b.peek('readings', { afterSeq: 250, limit: 100 })).toBeNull();
    const small = b.peek('readings', { limit: 100, maxBytes: 1000 })!;
    expect(small.records.length).toBeGreaterThan(0);
    expect(small.records.length).toBeLessThan(20);
    expect(small.lastSeq).toBe(small.records.length);
    const one = b.peek('readings', { limit: 100, maxBytes: 1 })!;
    expect(one.records.length).toBe(1);
    expectSameSpan(b, 'readings', { limit: 100, maxBytes: 1000 });
    expectSameSpan(b, 'readings', { afterSeq: 30, limit: 100, maxBytes: 1 });
    expect(drain(b, 'readings', 37).seqs).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(b.peek('alarms', { limit: 10 })).toBeNull();
  });

  it('acks delete up to a sequence and update count, bytes and oldest age', () => {
    const b = reopen({ maxBytes: BIG });
    expect(b.stats()).toMatchObject({
      records: 0,
      bytes: 0,
      oldestTs: null,
      maxBytes: BIG,
      refused: 0,
      thinned: 0,
    });
    b.append('readings', readings(10));
    b.append('alarms', [alarm(0)]);
    const full = b.stats();
    expect(full.records).toBe(11);
    expect(full.bytes).toBeGreaterThan(11 * 50);
    expect(full.oldestTs).toBe(T0);
    expect(full.lastSeq).toEqual({ readings: 10, movements: 0, alarms: 1 });
    b.ack('readings', 4);
    expect(b.peek('readings', { limit: 100 })!.firstSeq).toBe(5);
    const after = b.stats();
    expect(after.records).toBe(7);
    expect(after.bytes).toBeLessThan(full.bytes);
    expect(after.oldestTs).toBe(T0); // the alarm at T0 is still unacked
    b.ack('alarms', 1);
    expect(b.stats().oldestTs).toBe(reading(4).ts);
    b.ack('readings', 4); // idempotent
    b.ack('readings', 10);
    expect(b.stats()).toMatchObject({ records: 0, bytes: 0, oldestTs: null });
    expect(b.peek('readings', { limit: 10 })).toBeNull();
  });

  it('rejects an ack beyond the last assigned sequence', () => {
    const b = reopen({ maxBytes: BIG });
    b.append('readings', readings(2));
    expect(() => b.ack('readings', 3)).toThrow(expect.objectContaining({ code: 'invalid_ack' }));
    expect(b.stats().records).toBe(2);
  });

  it('never reuses a sequence number, even after acking everything and reopening', () => {
    let b = reopen({ maxBytes: BIG });
    b.append('readings', readings(5));
    b.append('movements', [movement(0), movement(1)]);
    b.ack('readings', 5);
    b.ack('movements', 2);
    b = reopen({ maxBytes: BIG });
    expect(b.stats().lastSeq).toEqual({ readings: 5, movements: 2, alarms: 0 });
    expect(b.append('readings', readings(1)).map((r) => r.seq)).toEqual([6]);
    expect(b.append('movements', [movement(2)])[0]!.seq).toBe(3);
  });

  it('keeps unacked records across close and reopen', () => {
    let b = reopen({ maxBytes: BIG });
    b.append('readings', readings(20));
    b.append('alarms', [alarm(1)]);
    b.ack('readings', 7);
    const before = b.stats();
    b = reopen({ maxBytes: BIG });
    expect(b.stats()).toEqual(before);
    expect(drain(b, 'readings').seqs).toEqual(Array.from({ length: 13 }, (_, i) => i + 8));
    expect(drain(b, 'alarms').records).toEqual([{ ...alarm(1), seq: 1 }]);
  });

  it('refuses a record that violates the wire contract, storing nothing and using no sequence', () => {
    const b = reopen({ maxBytes: BIG });
    const bad = [reading(0), reading(1, { tempC: null })];
    const err = (() => {
      try {
        b.append('readings', bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ColdtraceError);
    expect(err).toMatchObject({ code: 'invalid_record' });
    expect((err as Error).message).toMatch(/record 1/);
    expect(b.stats().records).toBe(0);
    expect(b.append('readings', [reading(2)])[0]!.seq).toBe(1);
    expect(() => b.append('movements', [{ ...movement(0), epc: 'zz' }])).toThrow(/epc/);
  });
}
