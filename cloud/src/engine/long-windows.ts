import type { Kysely, Transaction } from 'kysely';
import type { DeriveRepo } from '../domain/derive-repo.js';
import type { TimeWindow } from '../domain/location-evaluation.js';
import type { RecomputeCause } from '../domain/locks/lock-rule.js';
import type { QuietSpan } from '../domain/rollup-proof.js';
import { derivedIn } from '../store/quiet-span-reads.js';
import { ChunkProofs, QUIET_MIN_READINGS, quietSpanAhead } from './quiet-span-proofs.js';

export { QUIET_MIN_READINGS };

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

/**
 * Long windows whose next chunks are evaluated at once on PostgreSQL by default, each in a derive
 * transaction of its own (docs/architecture.md "Recovery"): a start's whole-history windows of many
 * locations are not evaluated one after the other. SQLite, one writer whose transactions hold the event
 * loop, evaluates one at a time.
 */
export const LONG_WINDOW_LANES = 2;

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

  /** The first `n` long windows, in the order they started (each of another location). */
  firsts(n: number): LongWindow[] {
    const out: LongWindow[] = [];
    for (const run of this.byLocation.values()) {
      if (out.length >= n) break;
      out.push(run);
    }
    return out;
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
  minReadings: number = QUIET_MIN_READINGS,
): Promise<ChunkDone> {
  const skipped: QuietSpan[] = [];
  const reads = new ChunkProofs(trx, repo, run, minReadings);
  let from = chunk.window.fromTs;
  let proofs = 0;
  while (from <= chunk.window.toTs) {
    if (proofs >= maxProofs && from > chunk.window.fromTs)
      return { to: from, last: false, skipped, bounded: true };
    proofs++;
    const rest = { fromTs: from, toTs: chunk.window.toTs };
    const span = await quietSpanAhead(reads, run, rest);
    if (!span) return { to: await evaluate(rest), last: chunk.last, skipped };
    const to = await evaluate({ fromTs: from, toTs: span.fromTs });
    if (to === span.fromTs && !(await derivedIn(trx, run.locationId, span.fromTs, span.toTs))) {
      skipped.push(span);
      from = span.toTs;
    } else from = to;
  }
  return { to: from, last: chunk.last, skipped };
}

/**
 * The repo of a chunk's derive transaction reading each location and its limit versions once: nothing in
 * the transaction writes them, and the chunk's evaluations and proofs all ask (a location's history is
 * evaluated under the master data the chunk's transaction read; a change committed meanwhile comes with a
 * mark that evaluates its window again).
 */
export function chunkRepo(repo: DeriveRepo): DeriveRepo {
  const locations = new Map<string, ReturnType<DeriveRepo['location']>>();
  const versions = new Map<string, ReturnType<DeriveRepo['limitVersions']>>();
  const once = <T>(m: Map<string, T>, id: string, read: () => T): T => {
    if (!m.has(id)) m.set(id, read());
    return m.get(id)!;
  };
  return {
    ...repo,
    location: (id) => once(locations, id, () => repo.location(id)),
    limitVersions: (id) => once(versions, id, () => repo.limitVersions(id)),
  };
}

/** Lets the event loop run (I/O, timers, HTTP) between two chunks. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
