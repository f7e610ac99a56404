import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HorizonFacts, horizonOf, horizonWindow } from '../../src/domain/evaluation-horizon.js';

// docs/domain.md "Evaluation horizon": the first instant a correction may take effect at a location with
// deleted readings, over any order of its excursions.

const excursion = fc
  .record({
    start: fc.integer({ min: 0, max: 200 }),
    len: fc.integer({ min: 0, max: 60 }),
    open: fc.boolean(),
  })
  .map(({ start, len, open }) => ({
    start_ts: start,
    end_ts: open ? null : start + len,
    last_ts: start + len,
  }));
const facts = fc.record({
  deletedUntil: fc.integer({ min: 0, max: 100 }),
  anchors: fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(Number.POSITIVE_INFINITY)), {
    maxLength: 4,
  }),
  excursions: fc.array(excursion, { maxLength: 6 }),
});
const of = (f: { deletedUntil: number; anchors: number[]; excursions: HorizonFacts['excursions'] }) =>
  horizonOf({
    deletedUntil: f.deletedUntil,
    archives: ['readings-2026-11'],
    anchors: new Map(f.anchors.map((a, i) => [`s-${i}`, a])),
    excursions: f.excursions,
  });
const straddles = (e: HorizonFacts['excursions'][number], at: number) =>
  e.start_ts < at && (e.end_ts ?? Number.POSITIVE_INFINITY) >= at;

describe('the evaluation horizon', () => {
  it('lies after the deletion and every anchor, inside no excursion, as early as that allows, in any order', () => {
    fc.assert(
      fc.property(facts, fc.infiniteStream(fc.nat()), (f, keys) => {
        const at = of(f);
        const shuffled = f.excursions
          .map((e) => ({ e, k: keys.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map(({ e }) => e);
        expect(of({ ...f, excursions: shuffled })).toBe(at);
        expect(at).toBeGreaterThan(f.deletedUntil);
        const unbounded =
          f.anchors.includes(Number.POSITIVE_INFINITY) || f.excursions.some((e) => e.end_ts === null);
        if (!Number.isFinite(at)) expect(unbounded).toBe(true);
        if (!Number.isFinite(at)) return;
        for (const a of f.anchors) expect(at).toBeGreaterThan(a);
        for (const e of f.excursions) expect(straddles(e, at)).toBe(false);
        // Minimal: every earlier instant after the deletion and the anchors lies inside an excursion.
        const floor = Math.max(f.deletedUntil + 1, ...f.anchors.map((a) => a + 1));
        for (let t = floor; t < at; t++) expect(f.excursions.some((e) => straddles(e, t))).toBe(true);
      }),
    );
  });

  it('is +Infinity while a sensor has not been in range since, or an excursion across it is open', () => {
    const base = { deletedUntil: 10, anchors: [20], excursions: [] };
    expect(of(base)).toBe(21);
    expect(of({ ...base, anchors: [20, Number.POSITIVE_INFINITY] })).toBe(Number.POSITIVE_INFINITY);
    expect(of({ ...base, excursions: [{ start_ts: 15, end_ts: 30, last_ts: 30 }] })).toBe(31);
    expect(of({ ...base, excursions: [{ start_ts: 15, end_ts: null, last_ts: 30 }] })).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('starts a window reaching past the deleted readings after them, and reads none wholly before them', () => {
    expect(horizonWindow({ fromTs: 0, toTs: 50 }, undefined)).toEqual({
      window: { fromTs: 0, toTs: 50 },
      deletedUntil: undefined,
    });
    expect(horizonWindow({ fromTs: 0, toTs: 50 }, 20)).toEqual({
      window: { fromTs: 21, toTs: 50 },
      deletedUntil: 20,
    });
    expect(horizonWindow({ fromTs: 30, toTs: 50 }, 20)?.window).toEqual({ fromTs: 30, toTs: 50 });
    expect(horizonWindow({ fromTs: 0, toTs: 20 }, 20)).toBeUndefined();
  });
});
