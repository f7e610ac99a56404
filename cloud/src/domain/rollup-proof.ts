import type { TempLimits } from '@coldtrace/shared';
import { indexInForce, type SpecVersion } from './spec-versions.js';

/**
 * Spans of a location's history whose raw readings a long window's evaluation may skip because the 5-minute
 * rollups PROVE a full evaluation derives nothing there (docs/architecture.md "Recovery", "Skipping spans
 * proved in range"). Pure: bucket aggregates and limit versions in, a span or nothing out.
 *
 * A bucket is quiet when it holds readings and every sensor's min and max lie within the limits of every
 * version in force at any instant of the bucket, and every such version's maximum gap is at least twice the
 * bucket width less 1 ms (two readings in adjacent non-empty buckets are at most that far apart, so no
 * silence inside a run of such buckets is a monitoring gap: series.ts measures a gap as `> maxGapMs`).
 * A run is consecutive quiet buckets holding the same sensors. Its interior (the run without its first and
 * last bucket) is the span: each of its sensors has a known in-range reading in the bucket before it (no
 * run ends inside) and one in the bucket after it (no gap starts inside), and every reading inside is known
 * and in range (no run starts inside). That readings without a temperature, which rollups leave out, are
 * absent, and that the rollups count exactly the stored rows, the caller checks against the raw counts.
 */

/** The rollup resolution the proof reads, and its width. */
export const PROOF_RESOLUTION = '5m';
export const PROOF_WIDTH_MS = 300_000;

/** One sensor's bucket at the location, all gateways together. */
export interface ProofBucket {
  sensorId: string;
  bucketStart: number;
  min: number;
  max: number;
  count: number;
}

export interface QuietSpan {
  /** First instant skipped (a bucket start). */
  fromTs: number;
  /** First instant not skipped (a bucket start): the span is [fromTs, toTs). */
  toTs: number;
  /** The run of quiet buckets around it: [runFromTs, runToTs), one bucket more on either side. */
  runFromTs: number;
  runToTs: number;
  /** Per sensor, the readings the rollups count in the run (the raw count must match). */
  counts: Map<string, number>;
  /** The readings in the span itself. */
  readings: number;
}

/** Whether every version in force during [from, to] has this bucket's readings in range and a long enough gap. */
function quietUnder(
  line: readonly SpecVersion<TempLimits>[],
  from: number,
  to: number,
  sensors: ReadonlyMap<string, ProofBucket>,
  width: number,
): boolean {
  for (let k = indexInForce(line, from); k <= indexInForce(line, to); k++) {
    const l = line[k]!.spec;
    if (!(l.maxGapMs >= 2 * width - 1)) return false;
    for (const b of sensors.values()) if (!(b.min >= l.minC && b.max <= l.maxC)) return false;
  }
  return true;
}

/**
 * The first quiet span starting strictly after `after` and ending at or before `until`, at least
 * `minBuckets` buckets long; undefined when there is none. `line`: the location's limit timeline.
 */
export function firstQuietSpan(
  buckets: readonly ProofBucket[],
  line: readonly SpecVersion<TempLimits>[],
  after: number,
  until: number,
  minBuckets = 1,
  width = PROOF_WIDTH_MS,
): QuietSpan | undefined {
  const byStart = new Map<number, Map<string, ProofBucket>>();
  for (const b of buckets) {
    if (b.count <= 0) continue;
    const m = byStart.get(b.bucketStart) ?? new Map<string, ProofBucket>();
    byStart.set(b.bucketStart, m);
    const cur = m.get(b.sensorId);
    m.set(
      b.sensorId,
      cur
        ? {
            ...cur,
            min: Math.min(cur.min, b.min),
            max: Math.max(cur.max, b.max),
            count: cur.count + b.count,
          }
        : b,
    );
  }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const keyOf = (m: ReadonlyMap<string, ProofBucket>) => [...m.keys()].sort().join('\u0000');
  // The run of quiet buckets ending at the current one: its buckets' starts (ascending) and sensors.
  let run: number[] = [];
  let runKey = '';
  const spanOfRun = (): QuietSpan | undefined => {
    // Interior: run[1..n-2], trimmed to start after `after` and to end by `until` (any bucket of the run
    // after the interior bounds it as the last one does).
    let last = run.length - 1;
    while (last > 0 && run[last]! > until) last--;
    let i = 1;
    while (i < last && run[i]! <= after) i++;
    if (last - i < minBuckets) return undefined;
    const counts = new Map<string, number>();
    let readings = 0;
    for (let j = i - 1; j <= last; j++)
      for (const b of byStart.get(run[j]!)!.values()) {
        counts.set(b.sensorId, (counts.get(b.sensorId) ?? 0) + b.count);
        if (j >= i && j < last) readings += b.count;
      }
    return {
      fromTs: run[i]!,
      toTs: run[last]!,
      runFromTs: run[i - 1]!,
      runToTs: run[last]! + width,
      counts,
      readings,
    };
  };
  for (const start of starts) {
    const sensors = byStart.get(start)!;
    const quiet = quietUnder(line, start, start + width - 1, sensors, width);
    const key = keyOf(sensors);
    const continues = quiet && run.length > 0 && run.at(-1)! + width === start && key === runKey;
    if (!continues) {
      const found = spanOfRun();
      if (found) return found;
      run = quiet ? [start] : [];
      runKey = key;
      continue;
    }
    run.push(start);
  }
  return spanOfRun();
}
