import type { TempLimits } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { firstQuietSpan, PROOF_WIDTH_MS, type ProofBucket } from '../../src/domain/rollup-proof.js';
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
    expect(span?.counts).toEqual(
      new Map([
        ['a', 50],
        ['b', 50],
      ]),
    );
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
