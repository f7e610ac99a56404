import { ColdtraceError } from '../errors.js';

/** One temperature observation of one sensor; `tempC: null` = unknown (a sensor-error reading). */
export interface Sample {
  ts: number;
  tempC: number | null;
}

/**
 * Sorts by `ts` and keeps one sample per timestamp, so every result depends only on the set of
 * samples (docs/architecture.md "Confluence"). For equal `ts` the kept sample is, in order of preference: the known
 * value furthest outside `[minC, maxC]` (so a duplicate can never hide an excursion; on equal excess the
 * higher value), then an unknown value (it keeps a run open or marks a monitoring gap: the cautious
 * reading), then the highest known in-range value. Without limits (`minC`/`maxC` omitted, as for MKT)
 * the highest known value wins over unknown. Throws `invalid_sample` on a non-finite ts or value.
 */
export function normalizeSamples(
  samples: readonly Sample[],
  minC = Number.NEGATIVE_INFINITY,
  maxC = Number.POSITIVE_INFINITY,
): Sample[] {
  const limited = Number.isFinite(minC) || Number.isFinite(maxC);
  for (const s of samples) {
    if (!Number.isFinite(s.ts)) {
      throw new ColdtraceError('invalid_sample', `sample ts must be a finite number, got ${String(s.ts)}`);
    }
    if (s.tempC !== null && !Number.isFinite(s.tempC)) {
      throw new ColdtraceError(
        'invalid_sample',
        `sample tempC must be a finite number or null, got ${String(s.tempC)}`,
      );
    }
  }
  const sorted = [...samples].sort((a, b) => a.ts - b.ts || compareRank(b, a, minC, maxC, limited));
  const out: Sample[] = [];
  for (const s of sorted) {
    if (out.length > 0 && out[out.length - 1]!.ts === s.ts) continue; // the first of equal ts ranks highest
    out.push({ ts: s.ts, tempC: s.tempC });
  }
  return out;
}

function excess(t: number, minC: number, maxC: number): number {
  return t > maxC ? t - maxC : t < minC ? minC - t : 0;
}

/** > 0 when `a` is preferred over `b` (see normalizeSamples). */
function compareRank(a: Sample, b: Sample, minC: number, maxC: number, limited: boolean): number {
  const unknownRank = limited ? 1 : -1;
  const cls = (s: Sample) => (s.tempC === null ? unknownRank : excess(s.tempC, minC, maxC) > 0 ? 2 : 0);
  const ca = cls(a);
  const cb = cls(b);
  if (ca !== cb) return ca - cb;
  if (a.tempC === null || b.tempC === null) return 0;
  if (ca === 2) {
    const d = excess(a.tempC, minC, maxC) - excess(b.tempC, minC, maxC);
    if (d !== 0) return d;
  }
  return a.tempC - b.tempC;
}

/**
 * Zero-order hold: how long each sample of a sorted, de-duplicated series stands, i.e. until the next
 * sample, the last one until `endTs` (0 when `endTs` is absent or not after it).
 */
export function holdWeights(sorted: readonly Sample[], endTs?: number): number[] {
  return sorted.map((s, i) => {
    const next = i + 1 < sorted.length ? sorted[i + 1]!.ts : endTs;
    return next === undefined ? 0 : Math.max(0, next - s.ts);
  });
}
