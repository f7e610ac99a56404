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
 * absent, and that the rollups count exactly the stored rows, the caller checks against the raw counts
 * (`rollupsCountRaw`).
 */

/** The rollup resolution the proof reads, and its width. */
export const PROOF_RESOLUTION = '5m';
export const PROOF_WIDTH_MS = 300_000;
/** The coarser resolution read first, to find where a proof may hold (hours whose readings are all in range). */
export const SCOUT_RESOLUTION = '1h';
export const SCOUT_WIDTH_MS = 3_600_000;

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

/** A bucket of the location: its sensors (gateways merged), and once judged, whether it is quiet. */
interface LocationBucket {
  sensors: Map<string, ProofBucket>;
  key?: string;
  quiet?: boolean;
}

/**
 * The location's buckets read so far for the proofs of one chunk (ranges added in ascending order), judged
 * under one limit timeline, each bucket once however many proofs look at it.
 */
export class QuietBuckets {
  private readonly byStart = new Map<number, LocationBucket>();
  /** Bucket starts, ascending. */
  private readonly starts: number[] = [];

  /**
   * `width`: the buckets' (5 minutes for a proof; an hour to find where one may lie, `gapWidth` then the
   * proof's: an hour in range is where a proof may hold, not a proof).
   */
  constructor(
    private readonly line: readonly SpecVersion<TempLimits>[],
    private readonly width = PROOF_WIDTH_MS,
    private readonly gapWidth = width,
  ) {}

  /** Adds the buckets of a range after every range added before. */
  add(buckets: readonly ProofBucket[]): void {
    const fresh: number[] = [];
    for (const b of buckets) {
      if (b.count <= 0) continue;
      let at = this.byStart.get(b.bucketStart);
      if (!at) {
        at = { sensors: new Map() };
        this.byStart.set(b.bucketStart, at);
        fresh.push(b.bucketStart);
      }
      const cur = at.sensors.get(b.sensorId);
      at.sensors.set(
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
    fresh.sort((a, b) => a - b);
    if (fresh.length > 0 && this.starts.length > 0 && fresh[0]! <= this.starts.at(-1)!)
      throw new Error('quiet buckets: a range added before one already added');
    this.starts.push(...fresh);
  }

  /** Per sensor, the readings the rollups count in the bucket starting at `start`. */
  countsAt(start: number): ReadonlyMap<string, ProofBucket> | undefined {
    return this.byStart.get(start)?.sensors;
  }

  /**
   * The first quiet span starting strictly after `after` and ending at or before `until`, of the buckets
   * starting at or after `from`, at least `minBuckets` buckets long and holding at least `minReadings`
   * readings (shorter runs are passed over); undefined when there is none.
   */
  firstSpan(
    from: number,
    after: number,
    until: number,
    minBuckets = 1,
    minReadings = 0,
  ): QuietSpan | undefined {
    const width = this.width;
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
      // (With no interior asked for, `i` may stop at `last` not after `after`.)
      if (last - i < minBuckets || run[i]! <= after) return undefined;
      let readings = 0;
      for (let j = i; j < last; j++)
        for (const b of this.byStart.get(run[j]!)!.sensors.values()) readings += b.count;
      if (readings < minReadings) return undefined;
      return {
        fromTs: run[i]!,
        toTs: run[last]!,
        runFromTs: run[i - 1]!,
        runToTs: run[last]! + width,
        readings,
      };
    };
    for (let k = firstAtOrAfter(this.starts, from); k < this.starts.length; k++) {
      const start = this.starts[k]!;
      if (start > until) break;
      const b = this.byStart.get(start)!;
      b.key ??= [...b.sensors.keys()].sort().join('\u0000');
      b.quiet ??= quietUnder(this.line, start, start + width - 1, b.sensors, this.gapWidth);
      const continues = b.quiet && run.length > 0 && run.at(-1)! + width === start && b.key === runKey;
      if (!continues) {
        const found = spanOfRun();
        if (found) return found;
        run = b.quiet ? [start] : [];
        runKey = b.key;
        continue;
      }
      run.push(start);
    }
    return spanOfRun();
  }
}

/** The index of the first element of `sorted` (ascending) at or after `x`. */
function firstAtOrAfter(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  const index = new QuietBuckets(line, width);
  index.add(buckets);
  return index.firstSpan(Number.NEGATIVE_INFINITY, after, until, minBuckets);
}

/** One sensor's stored readings in a bucket at the location, all gateways together. */
export interface RawBucket {
  sensorId: string;
  bucketStart: number;
  /** Rows stored. */
  all: number;
  /** Of them, those with a temperature. */
  known: number;
}

/** Raw rows per bucket start and sensor: all of them, and those with a temperature. */
export type RawCounts = Map<number, Map<string, { all: number; known: number }>>;

/** Adds the raw rows of a range to the counts per bucket. */
export function addRawBuckets(into: RawCounts, rows: readonly RawBucket[]): void {
  for (const r of rows) {
    const m = into.get(r.bucketStart) ?? new Map<string, { all: number; known: number }>();
    into.set(r.bucketStart, m);
    m.set(r.sensorId, { all: r.all, known: r.known });
  }
}

/**
 * Whether in every bucket of [from, to) the stored rows are exactly those the rollups count: the same
 * sensors, and per sensor as many rows as the rollups count, every one with a temperature (the rollups
 * leave out readings without one).
 */
export function rollupsCountRaw(
  rollups: QuietBuckets,
  raw: RawCounts,
  from: number,
  to: number,
  width = PROOF_WIDTH_MS,
): boolean {
  for (let b = from; b < to; b += width) {
    const counted = rollups.countsAt(b);
    const stored = raw.get(b);
    if ((counted?.size ?? 0) !== (stored?.size ?? 0)) return false;
    for (const [sensorId, { count }] of counted ?? []) {
      const r = stored!.get(sensorId);
      if (r?.all !== count || r.known !== count) return false;
    }
  }
  return true;
}
