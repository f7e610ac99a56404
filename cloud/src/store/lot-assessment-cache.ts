import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LotReads } from '../domain/exposure-reads.js';
import { assessLot, type LotAssessment } from '../domain/lot-assessment.js';
import { sensorsCoveringSince } from './location-sensors.js';
import {
  countInBounds,
  lotReads,
  type SensorBounds,
  sensorBounds,
  sensorsSince,
  seriesIn,
} from './lot-reads.js';
import {
  type CustodyMktReads,
  custodyMktOver,
  stayCount,
  stayEdges,
  stayRange,
  withEdges,
} from './queries/lot-custody-mkt.js';
import { lotStays } from './queries/lot-stays.js';
import type { Database } from './schema.js';

/** A lot's assessment with its custody MKT: what `GET /lots/{id}` shows (docs/domain.md "Lot assessment"). */
export type LotView = LotAssessment & { custodyMktC: number | null };

/** One read the assessment made: running it again must give what it gave then. */
interface Check {
  again: () => Promise<string>;
  seen: string;
}

/** JSON with the values JSON would blur (±Infinity and NaN read as null, bigint throws) kept apart. */
const digest = (v: unknown) =>
  createHash('sha256')
    .update(
      JSON.stringify(v, (_, x) =>
        typeof x === 'bigint' || (typeof x === 'number' && !Number.isFinite(x)) ? `#${String(x)}` : x,
      ) ?? '#undefined',
    )
    .digest('base64');

/** The reads of one assessment, each with how to check it again. */
class ReadLog {
  readonly checks: Check[] = [];

  /** A read whose whole answer is kept (as a digest) and compared. */
  async read<T>(f: () => Promise<T>): Promise<T> {
    const v = await f();
    this.checks.push({ again: async () => digest(await f()), seen: digest(v) });
    return v;
  }

  /**
   * The count of the rows a range read is about to return. Taken *before* the rows are read: readings are
   * only ever inserted, so the rows of a fixed range can only grow, and an equal count later means the
   * same rows; a row committed between the count and the read makes the next count differ (a miss), never
   * a stale hit.
   */
  async count(f: () => Promise<number>): Promise<void> {
    const n = await f();
    this.checks.push({ again: async () => String(await f()), seen: String(n) });
  }

  /**
   * A set read (`exact`) checked first by `cover`, a cheaper read that answers a superset of what `exact`
   * answers now: equal to the set seen, the current set lies within it; otherwise (a new member, or a
   * cover wider than the truth) `exact` decides. For the sensor set that it also still holds every member
   * seen is what the count of each member's range checks: its range holds a reading at or after the
   * window's start, and deleting it lowers the count (docs/architecture.md "Lot assessment cache").
   */
  async set(exact: () => Promise<string[]>, cover: () => Promise<string[]>): Promise<string[]> {
    const v = await exact();
    const seen = digest(v);
    this.checks.push({
      again: async () => {
        const c = digest(await cover());
        return c === seen ? c : digest(await exact());
      },
      seen,
    });
    return v;
  }
}

/**
 * `LotReads` that log every read. Each port read is logged whole, except the readings: `seriesOver` logs
 * which sensors as a set checked by `location_sensors` (`ReadLog.set`), each sensor's span whole and the
 * rows within them by count.
 */
function loggedLotReads(db: Kysely<Database>, log: ReadLog): LotReads {
  const base = lotReads(db);
  return {
    commissioned: (epcs) => log.read(() => base.commissioned(epcs)),
    stays: (epcs) => log.read(() => base.stays(epcs)),
    productVersions: (gtin) => log.read(() => base.productVersions(gtin)),
    lotGtin: (lotId) => log.read(() => base.lotGtin(lotId)),
    product: (gtin) => log.read(() => base.product(gtin)),
    unitsOfLot: (lotId) => log.read(() => base.unitsOfLot(lotId)),
    locks: (epcs) => log.read(() => base.locks(epcs)),
    whereNow: (epcs) => log.read(() => base.whereNow(epcs)),
    async seriesOver(locationId, from, to) {
      const sensors = await log.set(
        () => sensorsSince(db, locationId, from),
        () => sensorsCoveringSince(db, locationId, from),
      );
      const bounds: SensorBounds[] = [];
      for (const s of sensors) bounds.push(await log.read(() => sensorBounds(db, locationId, s, from, to)));
      for (const b of bounds) await log.count(() => countInBounds(db, locationId, b));
      return seriesIn(db, locationId, bounds);
    },
  };
}

/** `CustodyMktReads` that log every read: the stays whole, each stay's inside by count, its edges whole. */
function loggedMktReads(db: Kysely<Database>, log: ReadLog): CustodyMktReads {
  return {
    lotStays: (lotId) => log.read(() => lotStays(db, lotId)),
    async staySeries(stay) {
      await log.count(() => stayCount(db, stay));
      const inside = await stayRange(db, stay);
      const sensors = [...inside.keys()];
      return withEdges(inside, await log.read(() => stayEdges(db, stay, sensors)));
    },
  };
}

/**
 * Lot assessments kept in process (docs/architecture.md "Lot assessment cache"), checked against the store
 * on every use. The assessment and the custody MKT are pure functions of what they read through their ports
 * (`LotReads`, `CustodyMktReads`); the cache logs those reads and, before answering from memory, runs them
 * again: the reads of master data, units, locks, custody and spec versions compared whole, the readings
 * ranges by count (`ReadLog.count`). If every read answers as it did, a fresh computation would make the
 * same reads with the same answers (each read's arguments come from earlier answers) and return the same
 * assessment. So any change that affects it (a reading, a movement, a lock, a disposition, a hold, a
 * specification, a commissioning, by this process or another on the same database) is a miss, and nothing
 * has to remember to invalidate it. What a hit saves is reading and weighing the readings of the lot's
 * custody: its cost is the lot's own rows and a count per stay, not the history's length.
 */
export class LotAssessmentCache {
  private readonly entries = new Map<string, { checks: Check[]; view: LotView }>();
  /** Answers from memory and computations, since start (tests and the bench read them). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    /** Lots kept; the least recently used goes first. */
    private readonly max = 256,
  ) {}

  /** The lot's assessment and custody MKT (undefined for an unknown lot), from memory when still valid. */
  async assess(lotId: string): Promise<LotView | undefined> {
    const kept = this.entries.get(lotId);
    if (kept && (await holds(kept.checks))) {
      this.entries.delete(lotId);
      this.entries.set(lotId, kept);
      this.stats.hits++;
      return kept.view;
    }
    this.stats.misses++;
    const log = new ReadLog();
    const assessment = await assessLot(loggedLotReads(this.db, log), lotId);
    if (!assessment) {
      this.entries.delete(lotId);
      return undefined;
    }
    const view = { ...assessment, custodyMktC: await custodyMktOver(loggedMktReads(this.db, log), lotId) };
    this.entries.delete(lotId);
    this.entries.set(lotId, { checks: log.checks, view });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return view;
  }
}

async function holds(checks: readonly Check[]): Promise<boolean> {
  for (const c of checks) if ((await c.again()) !== c.seen) return false;
  return true;
}
