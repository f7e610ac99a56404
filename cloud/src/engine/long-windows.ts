import type { Kysely, Transaction } from 'kysely';
import type { DeriveRepo } from '../domain/derive-repo.js';
import { limitVersionsOf, type TimeWindow } from '../domain/location-evaluation.js';
import type { RecomputeCause } from '../domain/locks/lock-rule.js';
import { bucketStart } from '../domain/reading-rollups.js';
import { firstQuietSpan, PROOF_WIDTH_MS, type QuietSpan } from '../domain/rollup-proof.js';
import { derivedIn, proofBuckets, rawCounts } from '../store/quiet-span-reads.js';
import type { DomainDatabase } from '../store/schema.js';

/** Readings per chunk of a long window by default (docs/architecture.md "Recovery"). */
export const DEFAULT_CHUNK_READINGS = 10_000;

/**
 * A window longer than this (or unbounded: a whole history) is evaluated in chunks. Shorter ones, what
 * ingest marks, go in one transaction: counting their readings would cost every evaluation a query.
 */
export const LONG_WINDOW_MS = 6 * 3_600_000;

const finite = (n: number) => Number.isFinite(n);

/** Whether a location's window is evaluated in chunks (`chunkReadings` 0: never). */
export function isLongWindow(w: TimeWindow, chunkReadings: number): boolean {
  return chunkReadings > 0 && (!finite(w.fromTs) || !finite(w.toTs) || w.toTs - w.fromTs > LONG_WINDOW_MS);
}

/**
 * A location's long window under evaluation, chunk by chunk, each chunk one derive transaction: the
 * excursions touching each chunk's final window are those of a full evaluation (`evaluateWindow`), and
 * the chunks follow one another from `fromTs` to `toTs`, so the last leaves what one transaction over the
 * whole window would. The evaluation marks it covers are deleted by the last chunk's transaction only.
 */
export interface LongWindow {
  locationId: string;
  /** Where the window starts (grows back when new readings before `cursor` join it). */
  fromTs: number;
  /** The next chunk starts here; everything before it is evaluated. */
  cursor: number;
  toTs: number;
  /** The marks covered: deleted with the last chunk. */
  marks: Set<number>;
  cause: RecomputeCause | undefined;
}

/** The long windows under evaluation, one per location, in the order they started. */
export class LongWindows {
  private readonly byLocation = new Map<string, LongWindow>();
  /** Long windows evaluated, and their chunks (for tests and the benchmark). */
  readonly stats = { windows: 0, chunks: 0 };
  /** Spans skipped as proved quiet, and the readings in them (for tests and the benchmark). */
  readonly quiet = { spans: 0, readings: 0 };

  get size(): number {
    return this.byLocation.size;
  }

  has(locationId: string): boolean {
    return this.byLocation.has(locationId);
  }

  first(): LongWindow | undefined {
    return this.byLocation.values().next().value;
  }

  /**
   * Starts a location's long window, or joins a window (and its marks, and its cause) into the one under
   * evaluation: anything before its cursor is evaluated again.
   */
  join(
    locationId: string,
    w: TimeWindow,
    marks: Iterable<number> = [],
    cause: RecomputeCause | undefined = undefined,
  ): void {
    const run = this.byLocation.get(locationId);
    if (!run) {
      const { fromTs, toTs } = w;
      this.byLocation.set(locationId, {
        locationId,
        fromTs,
        cursor: fromTs,
        toTs,
        marks: new Set(marks),
        cause,
      });
      return;
    }
    run.fromTs = Math.min(run.fromTs, w.fromTs);
    run.cursor = Math.min(run.cursor, w.fromTs);
    run.toTs = Math.max(run.toTs, w.toTs);
    for (const m of marks) run.marks.add(m);
    if (cause && cause.text !== run.cause?.text) {
      run.cause = run.cause
        ? { text: `${run.cause.text}; ${cause.text}`, masterData: run.cause.masterData || cause.masterData }
        : cause;
    }
  }

  /** A chunk of `run` committed, its final window ending at `to`: the cursor moves there, or it is done. */
  committed(run: LongWindow, last: boolean, to: number): void {
    this.stats.chunks++;
    if (!last) {
      run.cursor = Math.max(run.cursor, to);
      return;
    }
    this.stats.windows++;
    this.byLocation.delete(run.locationId);
  }

  /** A quiet span of `run` was skipped (its chunk before it committed): the cursor moves to its end. */
  skippedQuiet(run: LongWindow, span: QuietSpan): void {
    this.quiet.spans++;
    for (const n of span.counts.values()) this.quiet.readings += n;
    run.cursor = Math.max(run.cursor, span.toTs);
  }
}

/**
 * The next chunk of a long window: from its cursor to the event time of the `chunkReadings`-th reading of
 * the location after the cursor (strictly after, so a chunk always moves on), or to the window's end when
 * fewer remain (`last`). `readings`: how many readings the chunk starts with (before its window grows to
 * cover the excursions touching it).
 */
export async function nextChunk(
  db: Kysely<DomainDatabase>,
  run: LongWindow,
  chunkReadings: number,
): Promise<{ window: TimeWindow; last: boolean; readings: number }> {
  const after = () => {
    let q = db.selectFrom('readings').where('location_id', '=', run.locationId);
    if (finite(run.cursor)) q = q.where('ts', '>', run.cursor);
    return q;
  };
  const row = await after()
    .select('ts')
    .orderBy('ts')
    .limit(1)
    .offset(chunkReadings - 1)
    .executeTakeFirst();
  const end = row === undefined ? undefined : Number(row.ts);
  if (end !== undefined && end < run.toTs)
    return { window: { fromTs: run.cursor, toTs: end }, last: false, readings: chunkReadings };
  let rest = after();
  if (finite(run.toTs)) rest = rest.where('ts', '<=', run.toTs);
  const n = await rest.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return { window: { fromTs: run.cursor, toTs: run.toTs }, last: true, readings: Number(n?.n ?? 0) };
}

/** How far past a chunk the rollups are read for a quiet span. */
const QUIET_HORIZON_MS = 2 * 86_400_000;
/** The shortest quiet span worth a chunk of its own before it (an hour of buckets). */
const QUIET_MIN_BUCKETS = 12;

/**
 * A span after the start of a long window's chunk that the rollups prove quiet (domain/rollup-proof.ts:
 * a full evaluation derives nothing there) and that holds no stored excursion or gap, starting within the
 * chunk: the chunk is then evaluated up to the span's start only, and the span skipped unread
 * (docs/architecture.md "Recovery"). The rollups must count exactly the stored rows there, every one
 * with a temperature; otherwise (or with no rollups, a chunk starting at the beginning of time, a
 * location gone) undefined, and the chunk is evaluated as it is.
 */
export async function quietSpanAhead(
  trx: Transaction<DomainDatabase>,
  repo: DeriveRepo,
  run: LongWindow,
  chunk: TimeWindow,
): Promise<QuietSpan | undefined> {
  const c = chunk.fromTs;
  if (!finite(c)) return undefined;
  const location = await repo.location(run.locationId);
  if (!location) return undefined;
  const line = limitVersionsOf(location, await repo.limitVersions(run.locationId));
  const from = bucketStart(c, PROOF_WIDTH_MS);
  const until = Math.min(run.toTs, (finite(chunk.toTs) ? chunk.toTs : c) + QUIET_HORIZON_MS);
  // Every sensor with a reading in the buckets read (the proof needs all of the location's there).
  const sensors = await repo.sensorsIn(run.locationId, from, until + PROOF_WIDTH_MS - 1);
  const buckets = await proofBuckets(trx, run.locationId, sensors, from, until);
  const span = firstQuietSpan(buckets, line, c, until, QUIET_MIN_BUCKETS);
  if (!span || span.fromTs > chunk.toTs) return undefined;
  const raw = await rawCounts(trx, run.locationId, span.fromTs, span.toTs);
  if (raw.size !== span.counts.size) return undefined;
  for (const [sensorId, n] of span.counts) {
    const r = raw.get(sensorId);
    if (r?.all !== n || r.known !== n) return undefined;
  }
  return (await derivedIn(trx, run.locationId, span.fromTs, span.toTs)) ? undefined : span;
}

/** Lets the event loop run (I/O, timers, HTTP) between two chunks. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
