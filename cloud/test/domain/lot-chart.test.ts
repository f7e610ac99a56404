import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketWindows,
  type ClippedStay,
  chartResolution,
  clipStays,
  FIVE_MINUTE_CHART_MAX_SPAN_MS,
  isPartialBucket,
} from '../../src/domain/lot-chart.js';

const W = 300_000;
const stayArb = fc.record({
  locationId: fc.constantFrom('a', 'b', 'c'),
  from: fc.integer({ min: -5 * W, max: 40 * W }),
  len: fc.integer({ min: 1, max: 12 * W }),
});
/** Stays of one location never overlap (domain/lot-stays.ts merges them): keep the first of overlapping ones. */
const staysArb = fc.array(stayArb, { maxLength: 8 }).map((xs) => {
  const out: ClippedStay[] = [];
  for (const x of xs) {
    const s = { locationId: x.locationId, from: x.from, to: x.from + x.len };
    if (!out.some((o) => o.locationId === s.locationId && o.from < s.to && s.from < o.to)) out.push(s);
  }
  return out;
});

describe('lot chart buckets (domain/lot-chart.ts)', () => {
  it('reads each bucket overlapping a stay exactly once, and no other; partial iff not inside one stay', () => {
    fc.assert(
      fc.property(staysArb, (stays) => {
        const windows = bucketWindows(stays, W);
        const read = new Map<string, number>();
        for (const w of windows)
          for (let b = w.lo; b < w.hi; b += W) {
            const k = `${w.locationId}@${b}`;
            read.set(k, (read.get(k) ?? 0) + 1);
          }
        const want = new Set<string>();
        for (const s of stays)
          for (let b = Math.floor(s.from / W) * W; b < s.to; b += W) want.add(`${s.locationId}@${b}`);
        expect([...read.keys()].sort()).toEqual([...want].sort());
        expect([...read.values()].every((n) => n === 1)).toBe(true);
        for (const k of want) {
          const [loc, b] = [k.split('@')[0]!, Number(k.split('@')[1])];
          const inside = stays.some((s) => s.locationId === loc && s.from <= b && b + W <= s.to);
          expect(isPartialBucket(stays, loc, b, W)).toBe(!inside);
        }
      }),
    );
  });

  it('charts in 5-minute buckets up to 3 days of custody, in hours beyond, an open stay ending now', () => {
    const stay = (from: number, to: number | null) => ({ locationId: 'a', from, to, units: 1 });
    expect(
      chartResolution(clipStays([stay(0, FIVE_MINUTE_CHART_MAX_SPAN_MS)], undefined, undefined), 0),
    ).toBe('5m');
    expect(
      chartResolution(clipStays([stay(0, FIVE_MINUTE_CHART_MAX_SPAN_MS + 1)], undefined, undefined), 0),
    ).toBe('1h');
    const open = clipStays([stay(0, null)], undefined, undefined);
    expect(chartResolution(open, FIVE_MINUTE_CHART_MAX_SPAN_MS)).toBe('5m');
    expect(chartResolution(open, FIVE_MINUTE_CHART_MAX_SPAN_MS + 1)).toBe('1h');
    // Clipped by `to`, a long custody's last day is charted in 5-minute buckets.
    expect(chartResolution(clipStays([stay(0, null)], 10 * 86_400_000, 11 * 86_400_000), 0)).toBe('5m');
  });
});
