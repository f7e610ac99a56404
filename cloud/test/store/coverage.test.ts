import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holesIn, unionSpans } from '../../src/store/coverage.js';

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
});
