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
