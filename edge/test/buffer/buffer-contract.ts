import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alarmsBatchSchema,
  ColdtraceError,
  movementsBatchSchema,
  readingsBatchSchema,
  type Stream,
} from '@coldtrace/shared';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BufferEvent, PeekOptions, RecordBuffer, StreamName } from '../../src/buffer/record-buffer.js';
import { alarm, movement, reading, readings, T0 } from './fixtures.js';

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

const BIG = 256 * 1024 * 1024;
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

/**
 * The contract every RecordBuffer backend must pass (docs/architecture.md "Tests": one contract suite
 * per backend interface). `open(dir)` must return a buffer persisted in `dir`; calling it again on the
 * same dir after `close()` must reopen the same data.
 */
export function runBufferContract(name: string, open: OpenBuffer, crashImage?: CrashImage): void {
  describe(`RecordBuffer contract: ${name}`, () => {
    let dir: string;
    let buf: RecordBuffer | undefined;
    const reopen = (opts?: ContractOpenOptions) => {
      buf?.close();
      buf = open(dir, opts);
      return buf;
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'coldtrace-buffer-'));
      buf = undefined;
    });
    afterEach(() => {
      buf?.close();
      rmSync(dir, { recursive: true, force: true });
    });

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

    it('emits high at 80 % and normal below 70 % (hysteresis)', () => {
      const events: BufferEvent[] = [];
      const b = reopen({ maxBytes: 200_000, onEvent: (e) => events.push(e) });
      b.append('movements', [movement(0)]);
      const perRecord = b.stats().bytes;
      let n = 1;
      while (b.stats().bytes + 2 * perRecord < 0.8 * 200_000) b.append('movements', [movement(n++)]);
      expect(events.filter((e) => e.type === 'high')).toHaveLength(0);
      b.append('movements', [movement(n++), movement(n++), movement(n++)]);
      expect(events.filter((e) => e.type === 'high')).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: 'high', maxBytes: 200_000 });
      const toHigh = n;
      b.ack('movements', Math.floor(toHigh * 0.05)); // ~76 %: still high, no flapping
      b.append('movements', [movement(toHigh + 2)]);
      expect(events.filter((e) => e.type === 'high')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'normal')).toHaveLength(0);
      b.ack('movements', Math.floor(toHigh * 0.3));
      expect(events.at(-1)).toMatchObject({ type: 'normal' });
    });

    it('at the bound thins the oldest readings, keeping min and max per sensor and window', () => {
      const events: BufferEvent[] = [];
      const windowMs = 10 * 60_000; // 10 readings a minute apart per window
      const b = reopen({ maxBytes: 300_000, thinWindowMs: windowMs, onEvent: (e) => events.push(e) });
      // Two sensors interleaved, a movement and a kept (out-of-range) reading among them.
      const all: { seq: number; sensorId: string; ts: number; tempC: number | null }[] = [];
      let i = 0;
      const kept: number[] = [];
      const moves: number[] = [];
      while (events.every((e) => e.type !== 'thinned')) {
        const tempA = 4 + Math.sin(i / 3) * 2;
        const batch = [
          reading(i, { sensorId: 'a', tempC: Math.round(tempA * 100) / 100 }),
          reading(i, { sensorId: 'b', tempC: Math.round((5 + Math.cos(i / 5)) * 100) / 100 }),
        ];
        if (i % 50 === 7) batch.push(reading(i, { sensorId: 'a', tempC: 12.5 }));
        if (i % 50 === 9) batch.push(reading(i, { sensorId: 'b', tempC: null, quality: 'timeout' }));
        const out = b.append('readings', batch, { keep: (r) => r.tempC !== null && r.tempC > 8 });
        for (const r of out) {
          all.push(r);
          if (r.tempC === 12.5 || r.quality !== 'ok') kept.push(r.seq);
        }
        if (i % 100 === 0) moves.push(b.append('movements', [movement(i)])[0]!.seq);
        i++;
      }
      const st = b.stats();
      expect(st.thinned).toBeGreaterThan(0);
      expect(st.bytes).toBeLessThanOrEqual(300_000);
      const thinnedEv = events.find((e) => e.type === 'thinned');
      expect(thinnedEv).toMatchObject({ type: 'thinned', count: st.thinned });
      const got = drain(b, 'readings');
      const present = new Set(got.seqs);
      // Every seq is either present or thinned: nothing lost, and the batches are valid.
      const thinnedSeqs = new Set<number>();
      for (const t of got.thinned) for (let s = t.from; s <= t.to; s++) thinnedSeqs.add(s);
      expect(present.size + thinnedSeqs.size).toBe(all.length);
      expect(thinnedSeqs.size).toBe(st.thinned);
      for (const s of kept) expect(present.has(s)).toBe(true);
      expect(drain(b, 'movements').seqs).toEqual(moves);
      // Per sensor and window, the min and max values survive.
      const windows = new Map<string, { min: number; max: number; survivors: number[] }>();
      for (const r of all) {
        if (r.tempC === null || kept.includes(r.seq)) continue;
        const key = `${r.sensorId}/${Math.floor(r.ts / windowMs)}`;
        const w = windows.get(key) ?? { min: Infinity, max: -Infinity, survivors: [] };
        w.min = Math.min(w.min, r.tempC);
        w.max = Math.max(w.max, r.tempC);
        if (present.has(r.seq)) w.survivors.push(r.tempC);
        windows.set(key, w);
      }
      let thinnedWindows = 0;
      for (const w of windows.values()) {
        expect(w.survivors).toContain(w.min);
        expect(w.survivors).toContain(w.max);
        if (w.survivors.length <= 2) thinnedWindows++;
      }
      expect(thinnedWindows).toBeGreaterThan(0);
      // The oldest go first.
      expect(thinnedSeqs.has(1) || thinnedSeqs.has(2) || thinnedSeqs.has(3)).toBe(true);
    });

    it('refuses loudly when thinning cannot make room, but still accepts alarms', () => {
      const events: BufferEvent[] = [];
      const b = reopen({ maxBytes: 100_000, onEvent: (e) => events.push(e) });
      let refusedErr: unknown;
      let n = 0;
      for (; n < 10_000 && !refusedErr; n++) {
        try {
          b.append('movements', [movement(n)]);
        } catch (e) {
          refusedErr = e;
        }
      }
      expect(refusedErr).toBeInstanceOf(ColdtraceError);
      expect(refusedErr).toMatchObject({ code: 'buffer_full' });
      expect(events.some((e) => e.type === 'high')).toBe(true);
      expect(events.at(-1)).toMatchObject({
        type: 'full',
        stream: 'movements',
        refusedRecords: 1,
        refusedTotal: 1,
      });
      expect(() => b.append('readings', readings(3))).toThrow(
        expect.objectContaining({ code: 'buffer_full' }),
      );
      expect(b.stats().refused).toBe(4);
      // Movements were never thinned to make room.
      expect(drain(b, 'movements').seqs).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
      // The headroom reserved for alarms takes buffer_full alarms.
      const a = b.append('alarms', [{ ...alarm(0), kind: 'buffer_full', alarmId: 'buffer_full' }]);
      expect(a[0]!.seq).toBe(1);
      expect(b.stats().bytes).toBeLessThanOrEqual(100_000);
      // The refusal count survives a restart.
      const b2 = reopen({ maxBytes: 100_000 });
      expect(b2.stats().refused).toBe(4);
    });

    it('acks trim thinned ranges and peek after a thinned range continues correctly', () => {
      const b = reopen({ maxBytes: 120_000, thinWindowMs: 3_600_000 });
      let i = 0;
      while (b.stats().thinned === 0) {
        b.append('readings', readings(10, i));
        i += 10;
      }
      const first = drain(b, 'readings', 50);
      expect(first.thinned.length).toBeGreaterThan(0);
      const range = first.thinned.find((t) => t.to - t.from >= 3)!;
      expect(range).toBeDefined();
      const mid = range.from + 1;
      b.ack('readings', mid);
      const page = b.peek('readings', { limit: 10 })!;
      expect(page.firstSeq).toBe(mid + 1);
      expect(page.thinned[0]).toEqual({ from: mid + 1, to: range.to });
      expect(page.records[0]!.seq).toBe(range.to + 1);
      // A publisher whose last batch ended inside a thinned range continues right after it.
      const inside = b.peek('readings', { afterSeq: mid + 1, limit: 5 })!;
      expect(inside.firstSeq).toBe(mid + 2);
      expect(inside.thinned[0]).toEqual({ from: mid + 2, to: range.to });
      b.ack('readings', b.lastSeq('readings'));
      expect(b.peek('readings', { limit: 10 })).toBeNull();
      expect(b.stats()).toMatchObject({ records: 0, bytes: 0 });
    });

    it('property: random append/publish/ack/crash/reopen keep order and lose no unacked record', () => {
      type Cmd =
        | { t: 'append'; stream: StreamName; n: number }
        | { t: 'publish'; stream: StreamName; limit: number }
        | { t: 'puback'; stream: StreamName; k: number }
        | { t: 'crash' };
      const streamArb = fc.constantFrom<StreamName>('readings', 'movements', 'alarms');
      const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
        fc.record({
          t: fc.constant('append' as const),
          stream: streamArb,
          n: fc.integer({ min: 1, max: 20 }),
        }),
        fc.record({
          t: fc.constant('publish' as const),
          stream: streamArb,
          limit: fc.integer({ min: 1, max: 15 }),
        }),
        fc.record({
          t: fc.constant('puback' as const),
          stream: streamArb,
          k: fc.integer({ min: 0, max: 3 }),
        }),
        fc.constant({ t: 'crash' as const }),
      );
      let run = 0;
      fc.assert(
        fc.property(fc.array(cmdArb, { maxLength: 40 }), (cmds) => {
          run += 1;
          buf?.close();
          buf = undefined;
          rmSync(dir, { recursive: true, force: true });
          dir = mkdtempSync(join(tmpdir(), `coldtrace-prop-${run}-`));
          let b = reopen({ maxBytes: BIG });
          const model: Record<StreamName, unknown[]> = { readings: [], movements: [], alarms: [] };
          const acked: Record<StreamName, number> = { readings: 0, movements: 0, alarms: 0 };
          const nextSeq: Record<StreamName, number> = { readings: 1, movements: 1, alarms: 1 };
          // Batches "in flight" as a publisher would track them: [firstSeq, lastSeq].
          let inflight: Record<StreamName, Array<[number, number]>> = {
            readings: [],
            movements: [],
            alarms: [],
          };
          const make = (s: StreamName, k: number) =>
            s === 'readings' ? reading(k) : s === 'movements' ? movement(k) : alarm(k);
          for (const c of cmds) {
            if (c.t === 'append') {
              const recs = Array.from({ length: c.n }, (_, k) => make(c.stream, nextSeq[c.stream] + k));
              // biome-ignore lint/suspicious/noExplicitAny: the contract test appends each stream's own type
              const out = b.append(c.stream, recs as any[]);
              expect(out.map((r) => r.seq)).toEqual(recs.map((_, k) => nextSeq[c.stream] + k));
              nextSeq[c.stream] += c.n;
              model[c.stream].push(...out);
            } else if (c.t === 'publish') {
              const fl = inflight[c.stream];
              const after = fl.length ? fl[fl.length - 1]![1] : undefined;
              expectSameSpan(b, c.stream, { afterSeq: after, limit: c.limit });
              const page = b.peek(c.stream, { afterSeq: after, limit: c.limit });
              const expected = model[c.stream].filter((r) => (r as { seq: number }).seq > (after ?? 0));
              if (!page) expect(expected).toEqual([]);
              else {
                expect(page.records).toEqual(expected.slice(0, c.limit));
                fl.push([page.firstSeq, page.lastSeq]);
              }
            } else if (c.t === 'puback') {
              const fl = inflight[c.stream];
              const done = fl.splice(0, Math.min(c.k, fl.length));
              const upTo = done.at(-1)?.[1];
              if (upTo !== undefined) {
                b.ack(c.stream, upTo);
                acked[c.stream] = upTo;
                model[c.stream] = model[c.stream].filter((r) => (r as { seq: number }).seq > upTo);
              }
            } else {
              // Crash: the process vanishes; in-flight state (memory) is lost. With a crash image the
              // files are taken as they are on disk while the old buffer is still open (never closed,
              // nothing checkpointed), and the image is opened; else a close and reopen.
              if (crashImage) {
                const image = mkdtempSync(join(tmpdir(), `coldtrace-crash-${run}-`));
                crashImage(dir, image);
                const old = dir;
                dir = image;
                buf = undefined;
                b.close();
                rmSync(old, { recursive: true, force: true });
              }
              b = reopen({ maxBytes: BIG });
              inflight = { readings: [], movements: [], alarms: [] };
            }
            for (const s of ['readings', 'movements', 'alarms'] as const) {
              const head = b.peek(s, { limit: 1_000 });
              expect(head?.records ?? []).toEqual(model[s]);
              expect(b.lastSeq(s)).toBe(nextSeq[s] - 1);
            }
          }
          b = reopen({ maxBytes: BIG });
          for (const s of ['readings', 'movements', 'alarms'] as const) {
            expect(drain(b, s, 7).records).toEqual(model[s]);
            expect(b.stats().lastSeq?.[s]).toBe(nextSeq[s] - 1);
          }
          expect(b.stats().records).toBe(
            model.readings.length + model.movements.length + model.alarms.length,
          );
        }),
        { numRuns: 60 },
      );
    });
  });
}
