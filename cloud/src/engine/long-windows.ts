import type { Kysely, Transaction } from 'kysely';
import type { DeriveRepo } from '../domain/derive-repo.js';
import { limitVersionsOf, type TimeWindow } from '../domain/location-evaluation.js';
import type { RecomputeCause } from '../domain/locks/lock-rule.js';
import { bucketStart } from '../domain/reading-rollups.js';
import { firstQuietSpan, PROOF_WIDTH_MS, type ProofBucket, type QuietSpan } from '../domain/rollup-proof.js';
import { derivedIn, proofBuckets, rawCounts } from '../store/quiet-span-reads.js';
import type { DomainDatabase } from '../store/schema.js';

/** Readings per chunk of a long window by default (docs/architecture.md "Recovery"). */
export const DEFAULT_CHUNK_READINGS = 10_000;

/**
 * A window longer than this (or unbounded: a whole history) is evaluated in chunks. Shorter ones, what
 * ingest marks, go in one transaction: counting their readings would cost every evaluation a query.
 */
export const LONG_WINDOW_MS = 6 * 3_600_000;

/**
 * Quiet-span proofs (`quietSpanAhead`, a few queries each, refused or not) per chunk by default: a chunk
 * is bounded by the readings it evaluates and by the spans it tries to skip, so its transaction, and the
 * stall of the event loop it makes, stays short however many quiet spans follow (docs/architecture.md
 * "Recovery").
 */
export const DEFAULT_QUIET_PROOFS_PER_CHUNK = 8;

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
  /**
   * The location's sensors with readings in the window, read once for the quiet-span proof (a sensor
   * that appears later shows in its raw counts, which then refuse the span).
   */
  sensors?: string[] | undefined;
}

/** The long windows under evaluation, one per location, in the order they started. */
export class LongWindows {
  private readonly byLocation = new Map<string, LongWindow>();
  /** Long windows evaluated, and their chunks (for tests and the benchmark). */
  readonly stats = { windows: 0, chunks: 0 };
  /**
   * Spans skipped as proved quiet, the readings in them, the most skipped by one chunk, and the chunks
   * stopped by the bound of proofs (for tests and the benchmark).
   */
  readonly quiet = { spans: 0, readings: 0, mostInChunk: 0, bounded: 0 };

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
    run.sensors = undefined;
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

  /** A chunk that skipped these quiet spans committed (`bounded`: stopped by the bound of proofs). */
  skippedQuiet({ skipped: spans, bounded }: Pick<ChunkDone, 'skipped' | 'bounded'>): void {
    if (bounded) this.quiet.bounded++;
    this.quiet.spans += spans.length;
    for (const span of spans) this.quiet.readings += span.readings;
    this.quiet.mostInChunk = Math.max(this.quiet.mostInChunk, spans.length);
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

/** How far past a chunk the rollups are read for a quiet span (at most), and the first read. */
const QUIET_HORIZON_MS = 2 * 86_400_000;
const QUIET_FIRST_READ_MS = 3 * 3_600_000;
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
  // The location's sensors (the proof needs every one with a reading in the buckets read).
  run.sensors ??= await repo.sensorsIn(run.locationId, run.fromTs, run.toTs);
  // Buckets read a few hours at a time, further only while the first quiet span may lie or go on beyond.
  const buckets: ProofBucket[] = [];
  let read = from - 1;
  let reach = QUIET_FIRST_READ_MS;
  let span: QuietSpan | undefined;
  for (;;) {
    const end = Math.min(until, from + reach);
    buckets.push(...(await proofBuckets(trx, run.locationId, run.sensors, read + 1, end)));
    read = end;
    span = firstQuietSpan(buckets, line, c, end, QUIET_MIN_BUCKETS);
    const more = span ? span.runToTs > end - PROOF_WIDTH_MS : end < chunk.toTs + 2 * PROOF_WIDTH_MS;
    if (!more || end >= until) break;
    reach *= 4;
  }
  if (!span || span.fromTs > chunk.toTs) return undefined;
  // Over the whole run of quiet buckets (the span and the bucket on either side): every sensor there
  // is one the rollups count, and they count exactly its stored rows.
  const raw = await rawCounts(trx, run.locationId, span.runFromTs, span.runToTs);
  if (raw.size !== span.counts.size) return undefined;
  for (const [sensorId, n] of span.counts) {
    const r = raw.get(sensorId);
    if (r?.all !== n || r.known !== n) return undefined;
  }
  return (await derivedIn(trx, run.locationId, span.fromTs, span.toTs)) ? undefined : span;
}

/** What a chunk's evaluation did: where its final window ends, whether it was the last, the spans skipped. */
export interface ChunkDone {
  to: number;
  last: boolean;
  skipped: QuietSpan[];
  /** Stopped by the bound of quiet-span proofs before the end of its chunk. */
  bounded?: boolean;
}

/**
 * A chunk evaluated in the derive transaction, skipping the quiet spans that start within it
 * (`quietSpanAhead`): the part before each is evaluated (`evaluate` returns where its final window ends),
 * and the span is skipped when that evaluation ended exactly at its start and left no excursion or gap
 * in it; otherwise evaluation goes on from where it ended. The chunk's last part is evaluated as it is.
 * After `maxProofs` proofs the chunk stops where it got to (not the last: the next chunk starts there),
 * once it has moved on from its start.
 */
export async function evaluateSkippingQuiet(
  trx: Transaction<DomainDatabase>,
  repo: DeriveRepo,
  run: LongWindow,
  chunk: { window: TimeWindow; last: boolean },
  evaluate: (w: TimeWindow) => Promise<number>,
  maxProofs: number = DEFAULT_QUIET_PROOFS_PER_CHUNK,
): Promise<ChunkDone> {
  const skipped: QuietSpan[] = [];
  let from = chunk.window.fromTs;
  let proofs = 0;
  while (from <= chunk.window.toTs) {
    if (proofs >= maxProofs && from > chunk.window.fromTs)
      return { to: from, last: false, skipped, bounded: true };
    proofs++;
    const rest = { fromTs: from, toTs: chunk.window.toTs };
    const span = await quietSpanAhead(trx, repo, run, rest);
    if (!span) return { to: await evaluate(rest), last: chunk.last, skipped };
    const to = await evaluate({ fromTs: from, toTs: span.fromTs });
    if (to === span.fromTs && !(await derivedIn(trx, run.locationId, span.fromTs, span.toTs))) {
      skipped.push(span);
      from = span.toTs;
    } else from = to;
  }
  return { to: from, last: chunk.last, skipped };
}

/** Lets the event loop run (I/O, timers, HTTP) between two chunks. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
