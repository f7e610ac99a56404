import type Database from 'better-sqlite3';
import { ROW_OVERHEAD_BYTES, SEQ_SPAN, STREAM_ID, type StateRow } from './sqlite-schema.js';

type Queries = ReturnType<typeof import('./sqlite-schema.js').openDatabase>['q'];

export interface ThinResult {
  freed: number;
  count: number;
  ranges: number;
}

/**
 * Thinning of the oldest readings (docs/durability.md "Nearing and reaching the bound"): per sensor and
 * window of `thinWindowMs`, the lowest and the highest reading survive, as do `kept` and error readings;
 * the others are deleted and their sequence numbers recorded as thinned ranges. `state` is the buffer's
 * in-memory copy of its state row, updated with each committed step.
 */
export function createThinning(
  db: Database.Database,
  q: Queries,
  o: { thinWindowMs: number; thinChunkRecords: number },
  state: StateRow,
) {
  const sid = STREAM_ID.readings;
  const b = sid * SEQ_SPAN;

  /** Adds thinned range [from, to], merged with adjacent ranges (each seq in at most one range). */
  const addRange = (from: number, to: number) => {
    const prevFrom = q.rangeEndingAt.get(sid, from - 1) as number | undefined;
    if (prevFrom !== undefined) {
      q.deleteRange.run(sid, prevFrom);
      from = prevFrom;
    }
    const nextTo = q.rangeStartingAt.get(sid, to + 1) as number | undefined;
    if (nextTo !== undefined) {
      q.deleteRange.run(sid, to + 1);
      to = nextTo;
    }
    q.insertRange.run(sid, from, to);
  };

  /**
   * One thinning step over the next chunk of oldest unexamined readings. Returns what it freed, or
   * null when no reading is left to examine.
   */
  const thinStep = db.transaction((): ThinResult | null => {
    const rows = q.span.all(b + state.thin_cursor, b + SEQ_SPAN, o.thinChunkRecords) as {
      id: number;
      payload: string;
    }[];
    if (rows.length === 0) return null;
    const kept = new Set(q.keptIn.all(rows[0]!.id, rows[rows.length - 1]!.id) as number[]);
    type Extreme = { seq: number; t: number };
    const windows = new Map<string, { min: Extreme; max: Extreme }>();
    const parsed: Array<{ seq: number } | null> = [];
    for (const row of rows) {
      if (kept.has(row.id)) {
        parsed.push(null);
        continue;
      }
      const r = JSON.parse(row.payload) as { seq: number; sensorId: string; ts: number; tempC: number };
      const key = `${r.sensorId}\u0000${Math.floor(r.ts / o.thinWindowMs)}`;
      const w = windows.get(key);
      if (!w) windows.set(key, { min: { seq: r.seq, t: r.tempC }, max: { seq: r.seq, t: r.tempC } });
      else {
        if (r.tempC < w.min.t) w.min = { seq: r.seq, t: r.tempC };
        if (r.tempC > w.max.t) w.max = { seq: r.seq, t: r.tempC };
      }
      parsed.push({ seq: r.seq });
    }
    const survivors = new Set<number>();
    for (const w of windows.values()) {
      survivors.add(w.min.seq);
      survivors.add(w.max.seq);
    }
    let freed = 0;
    let count = 0;
    let ranges = 0;
    let runFrom = -1;
    let runTo = -1;
    const flush = () => {
      if (runFrom >= 0) {
        addRange(runFrom, runTo);
        ranges++;
      }
      runFrom = -1;
    };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const p = parsed[i];
      if (!p || survivors.has(p.seq)) {
        flush();
        continue;
      }
      q.deleteOne.run(row.id);
      freed += Buffer.byteLength(row.payload) + ROW_OVERHEAD_BYTES;
      count++;
      if (runFrom >= 0 && p.seq === runTo + 1) runTo = p.seq;
      else {
        flush();
        runFrom = p.seq;
        runTo = p.seq;
      }
    }
    flush();
    const next: StateRow = {
      ...state,
      bytes: state.bytes - freed,
      records: state.records - count,
      thinned: state.thinned + count,
      thin_cursor: rows[rows.length - 1]!.id - b,
    };
    q.setState.run(next);
    Object.assign(state, next);
    return { freed, count, ranges };
  });

  /** Thins the oldest readings until `deficit` bytes are free or nothing thinnable is left. */
  return function thin(deficit: number): ThinResult {
    const total: ThinResult = { freed: 0, count: 0, ranges: 0 };
    while (total.freed < deficit) {
      const step = thinStep();
      if (!step) break;
      total.freed += step.freed;
      total.count += step.count;
      total.ranges += step.ranges;
    }
    return total;
  };
}
