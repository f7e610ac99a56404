import { ColdtraceError } from '@coldtrace/shared';
import { expect, it } from 'vitest';
import type { BufferEvent, RecordBuffer } from '../../src/buffer/record-buffer.js';
import { type ContractOpenOptions, drain } from './buffer-contract-support.js';
import { alarm, movement, reading, readings } from './fixtures.js';

/**
 * The size bound: high and normal events with hysteresis, thinning the oldest readings, refusing when
 * thinning cannot make room, and acks across thinned ranges: part of the RecordBuffer contract
 * (`runBufferContract`), run against every backend.
 */
export function boundContract(reopen: (opts?: ContractOpenOptions) => RecordBuffer): void {
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
    expect(() => b.append('readings', readings(3))).toThrow(expect.objectContaining({ code: 'buffer_full' }));
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
}
