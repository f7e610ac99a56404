/** Pure sequence-range arithmetic for high-water marks and holes (data gaps) per gateway stream. */
export interface SeqSpan {
  from: number;
  to: number;
}

/** Union of possibly overlapping spans, sorted, with adjacent spans joined. */
export function unionSpans(spans: readonly SeqSpan[]): SeqSpan[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: SeqSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to + 1) last.to = Math.max(last.to, s.to);
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

/** Holes between 1 and the high-water mark that no span covers. */
export function holesIn(spans: readonly SeqSpan[]): SeqSpan[] {
  const merged = unionSpans(spans);
  const holes: SeqSpan[] = [];
  let next = 1;
  for (const s of merged) {
    if (s.from > next) holes.push({ from: next, to: s.from - 1 });
    next = s.to + 1;
  }
  return holes;
}

/** Seqs inside thinned ranges, counted once even where stored rows overlap (rows stored before ranges were merged). */
export function thinnedCount(rows: ReadonlyArray<{ from_seq: number; to_seq: number }>): number {
  return unionSpans(rows.map((r) => ({ from: r.from_seq, to: r.to_seq }))).reduce(
    (n, s) => n + s.to - s.from + 1,
    0,
  );
}

/** A stored range row (`stream_ranges`, `thinned_ranges`): keyed by its stream and `from_seq`. */
export interface SpanRow {
  from_seq: number;
  to_seq: number;
  /** Thinned ranges only: when the cloud first learned of any part of the range. */
  received_at?: number;
}

/**
 * How the stored rows a span overlaps or touches (`near`) change when the span joins them: every seq ends
 * up in exactly one row. `keep` is the row that is updated to `row` (the lowest; none: `row` is
 * inserted), `remove` the others. Null when nothing changes (the span is inside one stored row): the
 * common case of a replayed batch costs no write, a batch continuing the stream's last range one UPDATE.
 */
export interface SpanChange {
  remove: number[];
  keep: number | undefined;
  row: SpanRow;
}

export function mergeSpan(near: readonly SpanRow[], span: SeqSpan, receivedAt?: number): SpanChange | null {
  let lo = span.from;
  let hi = span.to;
  let first = receivedAt;
  let keep: SpanRow | undefined;
  for (const r of near) {
    if (r.from_seq < lo) lo = r.from_seq;
    if (r.to_seq > hi) hi = r.to_seq;
    if (first !== undefined && r.received_at !== undefined && r.received_at < first) first = r.received_at;
    if (!keep || r.from_seq < keep.from_seq) keep = r;
  }
  const only = near.length === 1 ? near[0]! : undefined;
  if (only && only.from_seq === lo && only.to_seq === hi) return null;
  return {
    remove: near.filter((r) => r !== keep).map((r) => r.from_seq),
    keep: keep?.from_seq,
    row: { from_seq: lo, to_seq: hi, ...(first === undefined ? {} : { received_at: first }) },
  };
}
