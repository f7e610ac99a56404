import type { TempLimits } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import {
  addRawBuckets,
  firstQuietSpan,
  PROOF_WIDTH_MS,
  type ProofBucket,
  QuietBuckets,
  type RawBucket,
  type RawCounts,
  rollupsCountRaw,
  SCOUT_WIDTH_MS,
} from '../../src/domain/rollup-proof.js';
import type { SpecVersion } from '../../src/domain/spec-versions.js';

const W = PROOF_WIDTH_MS;
const MIN = 60_000;
const limits = (l: Partial<TempLimits> = {}): TempLimits => ({
  minC: 2,
  maxC: 8,
  alarmDelayMs: 10 * MIN,
  criticalMarginC: 2,
  maxGapMs: 10 * MIN,
  ...l,
});
const line = (...v: Array<[number, Partial<TempLimits>]>): SpecVersion<TempLimits>[] =>
  v.map(([effectiveFrom, l], i) => ({ version: i + 1, effectiveFrom, spec: limits(l) }));
const ALWAYS = line([Number.NEGATIVE_INFINITY, {}]);

/** Buckets 0..n-1 of the given sensors, 5 readings each at `temp` (overrides by bucket index). */
function buckets(n: number, sensors: string[], over: Record<number, Partial<ProofBucket> | null> = {}) {
  const out: ProofBucket[] = [];
  for (let i = 0; i < n; i++)
    for (const sensorId of sensors) {
      if (over[i] === null) continue;
      out.push({ sensorId, bucketStart: i * W, min: 4, max: 6, count: 5, ...(over[i] ?? {}) });
    }
  return out;
}

describe('firstQuietSpan (docs/architecture.md "Recovery")', () => {
  it('is the interior of a run of quiet buckets: one bucket kept on either side', () => {
    const span = firstQuietSpan(buckets(10, ['a', 'b']), ALWAYS, -1, 100 * W);
    expect(span).toMatchObject({ fromTs: W, toTs: 9 * W, runFromTs: 0, runToTs: 10 * W, readings: 80 });
  });

  it('readings exactly at the limits are in range; beyond them, or a version stricter mid-bucket, end the run', () => {
    expect(firstQuietSpan(buckets(10, ['a'], { 5: { min: 2, max: 8 } }), ALWAYS, -1, 100 * W)?.toTs).toBe(
      9 * W,
    );
    expect(firstQuietSpan(buckets(10, ['a'], { 5: { max: 8.01 } }), ALWAYS, -1, 100 * W)?.toTs).toBe(4 * W);
    // Version 2 (max 5.5 °C) from inside bucket 5: bucket 5 is judged by both versions, and fails.
    const stricter = line([Number.NEGATIVE_INFINITY, {}], [5 * W + 1, { maxC: 5.5 }]);
    expect(firstQuietSpan(buckets(10, ['a']), stricter, -1, 100 * W)?.toTs).toBe(4 * W);
  });

  it('needs a maximum gap of at least two buckets less 1 ms under every version in force', () => {
    expect(
      firstQuietSpan(buckets(10, ['a']), line([Number.NEGATIVE_INFINITY, { maxGapMs: 2 * W - 1 }]), -1, 1e9),
    ).toBeDefined();
    expect(
      firstQuietSpan(buckets(10, ['a']), line([Number.NEGATIVE_INFINITY, { maxGapMs: 2 * W - 2 }]), -1, 1e9),
    ).toBeUndefined();
  });

  it('an empty bucket, or one where the set of sensors changes, ends the run', () => {
    expect(firstQuietSpan(buckets(10, ['a', 'b'], { 5: null }), ALWAYS, -1, 100 * W)?.toTs).toBe(4 * W);
    const oneMissing = buckets(10, ['a', 'b']).filter(
      (b) => !(b.sensorId === 'b' && b.bucketStart === 5 * W),
    );
    expect(firstQuietSpan(oneMissing, ALWAYS, -1, 100 * W)?.toTs).toBe(4 * W);
  });

  it('starts strictly after `after`, ends by `until`, and is at least `minBuckets` long; gateways are summed', () => {
    expect(firstQuietSpan(buckets(10, ['a']), ALWAYS, 3 * W, 100 * W)?.fromTs).toBe(4 * W);
    expect(firstQuietSpan(buckets(10, ['a']), ALWAYS, -1, 6 * W)?.toTs).toBe(6 * W);
    expect(firstQuietSpan(buckets(10, ['a']), ALWAYS, -1, 100 * W, 9)).toBeUndefined();
    const twoGateways = [...buckets(4, ['a']), ...buckets(4, ['a'], { 2: { max: 9 } })];
    expect(firstQuietSpan(twoGateways, ALWAYS, -1, 100 * W)).toBeUndefined();
  });
});

describe('QuietBuckets and rollupsCountRaw (docs/architecture.md "Recovery")', () => {
  it('judges the buckets of ranges added in turn as one read would, from any start', () => {
    const all = buckets(20, ['a', 'b'], { 12: { max: 9 } });
    const index = new QuietBuckets(ALWAYS);
    index.add(all.filter((b) => b.bucketStart < 7 * W));
    index.add(all.filter((b) => b.bucketStart >= 7 * W));
    expect(index.firstSpan(Number.NEGATIVE_INFINITY, -1, 100 * W)).toEqual(
      firstQuietSpan(all, ALWAYS, -1, 100 * W),
    );
    // From bucket 13 on: the run after the bucket out of range.
    expect(index.firstSpan(13 * W, -1, 100 * W)).toMatchObject({ fromTs: 14 * W, toTs: 19 * W });
    expect(() => index.add([{ sensorId: 'a', bucketStart: -W, min: 4, max: 6, count: 5 }])).toThrow();
  });

  it('passes over runs holding fewer readings than asked', () => {
    // Runs of 6 and 10 buckets (interiors of 4 and 8 buckets, 20 and 40 readings).
    const index = new QuietBuckets(ALWAYS);
    index.add(buckets(17, ['a'], { 6: { max: 9 } }));
    expect(index.firstSpan(Number.NEGATIVE_INFINITY, -1, 100 * W, 1, 21)).toMatchObject({
      fromTs: 8 * W,
      readings: 40,
    });
    expect(index.firstSpan(Number.NEGATIVE_INFINITY, -1, 100 * W, 1, 41)).toBeUndefined();
  });

  it('an hour is judged by its readings, its maximum gap by the proof bucket width', () => {
    const H = SCOUT_WIDTH_MS;
    const hours = (n: number) =>
      buckets(n, ['a']).map((b) => ({ ...b, bucketStart: (b.bucketStart / W) * H }));
    const gap = (maxGapMs: number) => line([Number.NEGATIVE_INFINITY, { maxGapMs }]);
    const scout = new QuietBuckets(gap(2 * W - 1), H, W);
    scout.add(hours(4));
    expect(scout.firstSpan(Number.NEGATIVE_INFINITY, -1, 1e12)).toMatchObject({ fromTs: H, toTs: 3 * H });
    const strict = new QuietBuckets(gap(2 * W - 2), H, W);
    strict.add(hours(4));
    expect(strict.firstSpan(Number.NEGATIVE_INFINITY, -1, 1e12)).toBeUndefined();
  });

  it('the raw rows of every bucket of the run must be those the rollups count, all with a temperature', () => {
    const index = new QuietBuckets(ALWAYS);
    index.add(buckets(4, ['a', 'b']));
    const raw = (over: (r: RawBucket) => RawBucket | null = (r) => r): RawCounts => {
      const out: RawCounts = new Map();
      const rows = buckets(4, ['a', 'b']).map((b) => ({
        sensorId: b.sensorId,
        bucketStart: b.bucketStart,
        all: 5,
        known: 5,
      }));
      addRawBuckets(
        out,
        rows.map(over).filter((r): r is RawBucket => r !== null),
      );
      return out;
    };
    expect(rollupsCountRaw(index, raw(), 0, 4 * W)).toBe(true);
    const at = (k: number, s: string, change: Partial<RawBucket> | null) => (r: RawBucket) =>
      r.bucketStart === k * W && r.sensorId === s ? (change === null ? null : { ...r, ...change }) : r;
    expect(rollupsCountRaw(index, raw(at(2, 'b', { all: 6 })), 0, 4 * W)).toBe(false);
    expect(rollupsCountRaw(index, raw(at(2, 'b', { all: 6, known: 5 })), 0, 4 * W)).toBe(false);
    expect(rollupsCountRaw(index, raw(at(1, 'a', { known: 4 })), 0, 4 * W)).toBe(false);
    expect(rollupsCountRaw(index, raw(at(3, 'a', null)), 0, 4 * W)).toBe(false);
    const unknownSensor = raw();
    unknownSensor.get(W)!.set('c', { all: 1, known: 1 });
    expect(rollupsCountRaw(index, unknownSensor, 0, 4 * W)).toBe(false);
    // Outside the run's buckets nothing is compared.
    expect(rollupsCountRaw(index, raw(at(3, 'a', null)), 0, 3 * W)).toBe(true);
  });
});
