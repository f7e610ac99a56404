import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holesIn, mergeSpan, type SpanRow, unionSpans } from '../../../src/domain/ingest/seq-spans.js';

describe('sequence coverage', () => {
  it.each([
    [[], []],
    [[{ from: 1, to: 10 }], []],
    [[{ from: 3, to: 10 }], [{ from: 1, to: 2 }]],
    [
      [
        { from: 1, to: 10 },
        { from: 21, to: 30 },
      ],
      [{ from: 11, to: 20 }],
    ],
    [
      [
        { from: 21, to: 30 },
        { from: 1, to: 10 },
        { from: 5, to: 22 },
      ],
      [],
    ],
    [
      [
        { from: 1, to: 1 },
        { from: 2, to: 2 },
        { from: 4, to: 4 },
      ],
      [{ from: 3, to: 3 }],
    ],
  ])('holes of %j are %j', (spans, holes) => {
    expect(holesIn(spans)).toEqual(holes);
  });

  it('union and holes partition 1..highWater whatever the order and overlap of spans', () => {
    const span = fc
      .tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 20 }))
      .map(([f, n]) => ({ from: f, to: f + n }));
    fc.assert(
      fc.property(fc.array(span, { maxLength: 30 }), (spans) => {
        const covered = new Set<number>();
        for (const s of spans) for (let i = s.from; i <= s.to; i++) covered.add(i);
        const high = Math.max(0, ...covered);
        const inHoles = new Set<number>();
        for (const h of holesIn(spans)) for (let i = h.from; i <= h.to; i++) inHoles.add(i);
        for (let i = 1; i <= high; i++) expect(covered.has(i) !== inHoles.has(i)).toBe(true);
        const u = unionSpans(spans);
        for (let i = 1; i < u.length; i++) expect(u[i]!.from).toBeGreaterThan(u[i - 1]!.to + 1);
      }),
    );
  });

  it('merging spans one by one into stored rows keeps each seq in exactly one row, whatever the order', () => {
    const span = fc
      .tuple(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 9 }),
      )
      .map(([f, n, at]) => ({ from: f, to: f + n, at }));
    fc.assert(
      fc.property(fc.array(span, { maxLength: 25 }), (arriving) => {
        // Received in order: the cloud's receive time grows with each batch.
        const spans = arriving.map((s, i) => ({ ...s, at: 1000 + i }));
        // The stored rows, keyed by from_seq as the tables are; each change applied as the stores do.
        const rows = new Map<number, SpanRow>();
        for (const s of spans) {
          const near = [...rows.values()].filter((r) => r.from_seq <= s.to + 1 && r.to_seq >= s.from - 1);
          const change = mergeSpan(near, s, s.at);
          if (!change) {
            // No write: the span is already inside one stored row.
            expect(near.some((r) => r.from_seq <= s.from && r.to_seq >= s.to)).toBe(true);
            continue;
          }
          for (const from of change.remove) rows.delete(from);
          if (change.keep !== undefined) rows.delete(change.keep);
          rows.set(change.row.from_seq, change.row);
        }
        const sorted = [...rows.values()].sort((a, b) => a.from_seq - b.from_seq);
        expect(sorted.map((r) => ({ from: r.from_seq, to: r.to_seq }))).toEqual(unionSpans(spans));
        // Each row keeps the earliest arrival of the spans it holds.
        for (const r of sorted) {
          const inside = spans.filter((s) => s.from >= r.from_seq && s.to <= r.to_seq);
          expect(r.received_at).toBe(Math.min(...inside.map((s) => s.at)));
        }
      }),
    );
  });
});
