import type { TempLimits } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import type { DeriveRepo } from '../domain/derive-repo.js';
import { limitVersionsOf, type TimeWindow } from '../domain/location-evaluation.js';
import { bucketStart, type RollupResolution } from '../domain/reading-rollups.js';
import {
  addRawBuckets,
  PROOF_RESOLUTION,
  PROOF_WIDTH_MS,
  QuietBuckets,
  type QuietSpan,
  type RawCounts,
  rollupsCountRaw,
  SCOUT_RESOLUTION,
  SCOUT_WIDTH_MS,
} from '../domain/rollup-proof.js';
import type { SpecVersion } from '../domain/spec-versions.js';
import { derivedIn, proofBuckets, rawBuckets } from '../store/quiet-span-reads.js';
import type { DomainDatabase } from '../store/schema.js';
import type { LongWindow } from './long-windows.js';

const finite = (n: number) => Number.isFinite(n);

/** How far past a chunk the rollups are read for a quiet span (at most), and the first read of hours. */
const QUIET_HORIZON_MS = 2 * 86_400_000;
const QUIET_FIRST_READ_MS = 86_400_000;
/** The shortest quiet span worth a chunk of its own before it (an hour of buckets). */
const QUIET_MIN_BUCKETS = 12;
/**
 * The fewest readings a quiet span skipped must hold: skipping one costs an evaluation of the part before
 * it (a few dozen queries, about what evaluating this many readings costs); shorter ones are evaluated.
 */
export const QUIET_MIN_READINGS = 2_000;

/**
 * What the quiet-span proofs of one chunk read, in its derive transaction, each thing once: the location's
 * limit timeline (the transaction's snapshot of the master data the chunk is evaluated under), its rollups
 * and its raw rows per bucket, each range read by one query and kept for the chunk's later proofs (they look
 * further on from where the previous one ended). Nothing the chunk writes changes them: evaluation writes
 * derived rows, never readings or rollups; rows another process commits meanwhile (PostgreSQL) show in one
 * read and not the other, and a mismatch refuses the span.
 */
export class ChunkProofs {
  private line: SpecVersion<TempLimits>[] | null | undefined;
  /** Hours read (to find where a span may lie) and 5-minute buckets read (to prove it). */
  private readonly hours: BucketReads;
  private readonly fiveMinutes: BucketReads;
  /** Raw rows per bucket, read over [rawFrom, rawTo). */
  private readonly raw: RawCounts = new Map();
  private rawFrom = Number.POSITIVE_INFINITY;
  private rawTo = Number.NEGATIVE_INFINITY;

  constructor(
    readonly trx: Transaction<DomainDatabase>,
    private readonly repo: Pick<DeriveRepo, 'location' | 'limitVersions'>,
    private readonly run: LongWindow,
    /** The fewest readings a span skipped holds (`QUIET_MIN_READINGS` by default). */
    readonly minReadings: number = QUIET_MIN_READINGS,
  ) {
    this.hours = new BucketReads(trx, run.locationId, SCOUT_RESOLUTION, SCOUT_WIDTH_MS);
    this.fiveMinutes = new BucketReads(trx, run.locationId, PROOF_RESOLUTION, PROOF_WIDTH_MS);
  }

  /** The location's limit timeline; null when the location is gone. */
  async limits(): Promise<SpecVersion<TempLimits>[] | null> {
    if (this.line === undefined) {
      const location = await this.repo.location(this.run.locationId);
      this.line = location
        ? limitVersionsOf(location, await this.repo.limitVersions(this.run.locationId))
        : null;
    }
    return this.line;
  }

  /** The hours read from `from` to `to` (starts) at least, judged under `line`. */
  hoursIn(line: readonly SpecVersion<TempLimits>[], from: number, to: number): Promise<QuietBuckets> {
    return this.hours.read(line, from, to);
  }

  /** The 5-minute buckets read from `from` to `to` (starts) at least, judged under `line`. */
  bucketsIn(line: readonly SpecVersion<TempLimits>[], from: number, to: number): Promise<QuietBuckets> {
    return this.fiveMinutes.read(line, from, to);
  }

  /**
   * Whether the rollups count exactly the stored rows over the span's run, all with a temperature. Raw rows
   * are counted from the run on to `countTo` at least in one query (the chunk's other candidate spans: their
   * counts are then read already), and kept.
   */
  async countsMatch(span: QuietSpan, countTo: number): Promise<boolean> {
    const from = span.runFromTs;
    const to = span.runToTs;
    if (from < this.rawFrom || from > this.rawTo) {
      this.raw.clear();
      this.rawFrom = from;
      this.rawTo = from;
    }
    if (to > this.rawTo) {
      const end = Math.max(to, countTo);
      addRawBuckets(this.raw, await rawBuckets(this.trx, this.run.locationId, this.rawTo, end));
      this.rawTo = end;
    }
    const buckets = this.fiveMinutes.buckets;
    return buckets !== undefined && rollupsCountRaw(buckets, this.raw, from, to);
  }
}

/** A location's rollup buckets of one resolution read in ascending ranges, each once. */
class BucketReads {
  buckets: QuietBuckets | undefined;
  private from = Number.POSITIVE_INFINITY;
  /** How far the buckets are read (starts, inclusive). */
  to = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly trx: Transaction<DomainDatabase>,
    private readonly locationId: string,
    private readonly resolution: RollupResolution,
    private readonly width: number,
  ) {}

  async read(line: readonly SpecVersion<TempLimits>[], from: number, to: number): Promise<QuietBuckets> {
    if (!this.buckets || from < this.from || from > this.to + 1) {
      // Not contiguous with what was read (the first read of the chunk, or a jump ahead): start over.
      this.buckets = new QuietBuckets(line, this.width, PROOF_WIDTH_MS);
      this.from = from;
      this.to = from - 1;
    }
    if (to > this.to) {
      this.buckets.add(await proofBuckets(this.trx, this.locationId, this.to + 1, to, this.resolution));
      this.to = to;
    }
    return this.buckets;
  }
}

/**
 * A span after the start of a long window's chunk that the rollups prove quiet (domain/rollup-proof.ts:
 * a full evaluation derives nothing there) and that holds no stored excursion or gap, starting within the
 * chunk: the chunk is then evaluated up to the span's start only, and the span skipped unread
 * (docs/architecture.md "Recovery"). The hourly rollups say first where one may lie (a run of hours whose
 * readings are all in range, holding at least `QUIET_MIN_READINGS`); only there are the 5-minute rollups
 * read and the raw rows counted. The rollups must count exactly the stored rows there, every one with a
 * temperature; otherwise (or with no rollups, a chunk starting at the beginning of time, a location gone)
 * undefined, and the chunk is evaluated as it is. `proofs`: the chunk's reads.
 */
export async function quietSpanAhead(
  proofs: ChunkProofs,
  run: LongWindow,
  chunk: TimeWindow,
): Promise<QuietSpan | undefined> {
  const c = chunk.fromTs;
  if (!finite(c)) return undefined;
  const line = await proofs.limits();
  if (!line) return undefined;
  const until = Math.min(run.toTs, (finite(chunk.toTs) ? chunk.toTs : c) + QUIET_HORIZON_MS);
  const H = SCOUT_WIDTH_MS;
  let after = c;
  for (;;) {
    const region = await quietHours(proofs, line, after, until, chunk.toTs);
    if (!region || region.fromTs > chunk.toTs) return undefined;
    // The 5-minute buckets of the hours in range and of the hour on either side (a span may begin or end
    // inside an hour holding a reading out of range).
    const from = Math.max(bucketStart(c, PROOF_WIDTH_MS), region.fromTs);
    const end = Math.min(until, region.toTs - PROOF_WIDTH_MS);
    const buckets = await proofs.bucketsIn(line, from, end);
    const span = buckets.firstSpan(from, c, end, QUIET_MIN_BUCKETS, proofs.minReadings);
    if (span && span.fromTs <= chunk.toTs) {
      // Over the whole run of quiet buckets (the span and the bucket on either side): the rollups count
      // exactly the stored rows of each bucket. Raw rows are counted on to the last hour in range read.
      if (!(await proofs.countsMatch(span, Math.min(region.countTo, until + PROOF_WIDTH_MS))))
        return undefined;
      return (await derivedIn(proofs.trx, run.locationId, span.fromTs, span.toTs)) ? undefined : span;
    }
    if (span || region.toTs >= until) return undefined;
    // On from the run's last hour (an hour on at least: a run of two hours has no interior).
    after = Math.max(region.toTs - 2 * H, after + H);
  }
}

/**
 * The next run of hours whose readings are all in range (same sensors) ending after `after`, holding at
 * least `QUIET_MIN_READINGS`, widened by an hour on either side: [fromTs, toTs). `countTo`: where the
 * raw rows are counted to for it (the end of the chunk's last such run, the others' counts read with it).
 */
async function quietHours(
  proofs: ChunkProofs,
  line: readonly SpecVersion<TempLimits>[],
  after: number,
  until: number,
  chunkTo: number,
): Promise<{ fromTs: number; toTs: number; countTo: number } | undefined> {
  const H = SCOUT_WIDTH_MS;
  const from = bucketStart(after, H);
  // Hours read a day at a time, further only while the first run may lie or go on beyond.
  let reach = QUIET_FIRST_READ_MS;
  for (;;) {
    const end = Math.min(until, from + reach);
    const hours = await proofs.hoursIn(line, from, end);
    const run = hours.firstSpan(from, after - H, end, 0, proofs.minReadings);
    const more = run ? run.runToTs > end - H : end < chunkTo + 2 * H;
    if (!more || end >= until) {
      if (!run) return undefined;
      // The chunk's other runs of hours in range: their raw rows are counted in the same query.
      let countTo = run.runToTs + H;
      for (let next = hours.firstSpan(from, run.runToTs, end, 0, proofs.minReadings); next; ) {
        if (next.fromTs > chunkTo) break;
        countTo = next.runToTs + H;
        next = hours.firstSpan(from, next.runToTs, end, 0, proofs.minReadings);
      }
      return { fromTs: run.runFromTs - H, toTs: run.runToTs + H, countTo };
    }
    reach *= 2;
  }
}
