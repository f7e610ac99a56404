import { ColdtraceError } from '@coldtrace/shared';
import type { CloudStore } from '../store/cloud-store.js';
import {
  EPCIS_BUCKET_MS,
  epcisPasses,
  epcisReadingBuckets,
  epcisReadings,
} from '../store/queries/epcis-records.js';
import { epcisScans } from '../store/queries/epcis-scans.js';
import { buildEpcisDocument, type EpcisDocument } from './epcis-document.js';
import type {
  EpcisClosure,
  EpcisCustodyInterval,
  EpcisExportInput,
  EpcisHold,
  EpcisInexactSpan,
  EpcisLock,
  EpcisPass,
  EpcisReading,
  EpcisReadingBucket,
} from './epcis-input.js';
import { bucketPlan } from './epcis-sensor-stats.js';

export interface EpcisQuery {
  /** Lot id: only EPCs commissioned to it. */
  lot?: string;
  /** One EPC (hex). */
  epc?: string;
  /** Event-time window `[fromTs, toTs)`. */
  fromTs?: number;
  toTs?: number;
}

/** The records an EPCIS export is built from (everything but the document's own fields). */
export type EpcisRecords = Pick<
  EpcisExportInput,
  | 'locations'
  | 'passes'
  | 'custody'
  | 'readings'
  | 'readingBuckets'
  | 'locks'
  | 'closures'
  | 'scans'
  | 'holds'
>;

export interface EpcisSource {
  records(q: EpcisQuery, now: number): Promise<EpcisRecords>;
  /**
   * The records with the reading buckets overlapping the spans replaced by their readings (the document
   * could not settle those spans' sensor events from buckets: `buildEpcisDocument`'s `inexact`).
   */
  exact?(records: EpcisRecords, spans: readonly EpcisInexactSpan[]): Promise<EpcisRecords>;
}

/** What only the domain engine knows: lots' EPCs, custody intervals, locks. */
export interface EpcisDomainData {
  /** EPCs (hex) commissioned to a lot; null when the lot does not exist. */
  lotEpcs(lotId: string): Promise<string[] | null>;
  /** Custody intervals of the given EPCs overlapping `[fromTs, toTs)`. */
  custody?(epcs: readonly string[] | null, fromTs: number, toTs: number): Promise<EpcisCustodyInterval[]>;
  /** Locks touching the given EPCs (all locks when null) in the window. */
  locks(epcs: readonly string[] | null, fromTs: number, toTs: number): Promise<EpcisLock[]>;
  /**
   * Closing records of rejected stock touching the given EPCs (all when null) in the window; with `held`,
   * also those closing rejected held quantities of that lot (of any lot when its `lotId` is null).
   */
  closures?(
    epcs: readonly string[] | null,
    fromTs: number,
    toTs: number,
    held?: { lotId: string | null },
  ): Promise<EpcisClosure[]>;
  /** Quantity holds of a lot (all when null) in force during the window. */
  holds?(lotId: string | null, fromTs: number, toTs: number): Promise<EpcisHold[]>;
}

const MAX_ROWS = 1_000_000;
const min = (a: number, b: number) => Math.min(a, b);
const max = (a: number, b: number) => Math.max(a, b);

/**
 * Custody intervals from portal passes alone, per EPC in event-time order: after a pass the EPC is at
 * the pass's `to` until its next pass (docs/architecture.md "Custody"). Used until the domain engine's
 * custody is available; time before an EPC's first pass is unknown and yields no interval.
 */
export function custodyFromPasses(passes: readonly EpcisPass[]): EpcisCustodyInterval[] {
  const byEpc = new Map<string, EpcisPass[]>();
  for (const p of passes) {
    const list = byEpc.get(p.epc) ?? [];
    list.push(p);
    byEpc.set(p.epc, list);
  }
  const out: EpcisCustodyInterval[] = [];
  for (const [epc, list] of byEpc) {
    list.sort((a, b) => a.ts - b.ts || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
    list.forEach((p, i) => {
      const next = list[i + 1];
      out.push({ epc, locationId: p.to, enteredAt: p.ts, leftAt: next ? next.ts : null });
    });
  }
  return out;
}

/**
 * The EPCIS source over the cloud store (locations, movements, readings and their hourly rollups) plus
 * optional domain data. `rollups: false` reads every reading (the reference the rollup path is tested
 * against).
 */
export class StoreEpcisSource implements EpcisSource {
  constructor(
    private readonly store: CloudStore,
    private readonly domain?: EpcisDomainData,
    private readonly options: { rollups?: boolean } = {},
  ) {}

  async records(q: EpcisQuery, now: number): Promise<EpcisRecords> {
    const fromTs = q.fromTs ?? Number.NEGATIVE_INFINITY;
    const toTs = q.toTs ?? Number.POSITIVE_INFINITY;
    let epcs: Set<string> | null = null;
    if (q.lot !== undefined) {
      if (!this.domain) {
        throw new ColdtraceError('not_found', `lot ${q.lot} not found: this cloud build records no lots yet`);
      }
      const list = await this.domain.lotEpcs(q.lot);
      if (!list) throw new ColdtraceError('not_found', `lot ${q.lot} not found`);
      epcs = new Set(list);
    }
    if (q.epc !== undefined) epcs = new Set([...(epcs ?? [q.epc])].filter((e) => e === q.epc));

    const allPasses = await epcisPasses(this.store.db, epcs ? [...epcs] : null, MAX_ROWS);
    const passes = allPasses.filter((p) => p.ts >= fromTs && p.ts < toTs);
    const end = Math.min(toTs, now);
    const custody = (
      this.domain?.custody
        ? await this.domain.custody(epcs ? [...epcs] : null, fromTs, toTs)
        : custodyFromPasses(allPasses)
    ).filter((c) => c.enteredAt < toTs && (c.leftAt ?? end) > fromTs);

    const readings: EpcisReading[] = [];
    const readingBuckets: EpcisReadingBucket[] = [];
    const spans = new Map<string, number[]>();
    for (const c of custody) {
      const points = spans.get(c.locationId) ?? [];
      points.push(c.enteredAt, c.leftAt ?? end);
      spans.set(c.locationId, points);
    }
    // Whole hours inside the stays from the rollups, the stays' edges from the readings (docs/epcis.md
    // "Sources"); the document builder checks that the buckets settle each figure exactly.
    const width = this.options.rollups === false ? Number.POSITIVE_INFINITY : EPCIS_BUCKET_MS;
    for (const [locationId, points] of spans) {
      const plan =
        width === Number.POSITIVE_INFINITY
          ? { clean: [], raw: [[points.reduce(min), points.reduce(max)] as const] }
          : bucketPlan(points, width);
      // Pushed one by one: a long stay's readings are too many for a spread's arguments.
      for (const [from, to] of plan.raw)
        for (const r of await epcisReadings(this.store.db, locationId, from, to, MAX_ROWS)) readings.push(r);
      for (const [from, to] of plan.clean)
        for (const b of await epcisReadingBuckets(this.store.db, locationId, from, to))
          readingBuckets.push(b);
    }
    const locks = this.domain
      ? (await this.domain.locks(epcs ? [...epcs] : null, fromTs, toTs)).filter(
          (l) => l.lockedAt < toTs && (l.end?.at ?? Number.POSITIVE_INFINITY) >= fromTs,
        )
      : [];
    const locations = (await this.store.listLocations()).map((l) => ({ id: l.id, kind: l.kind }));
    // Held quantities have no EPC: an EPC export has none of them.
    const held = q.epc === undefined ? { lotId: q.lot ?? null } : undefined;
    const closures = (await this.domain?.closures?.(epcs ? [...epcs] : null, fromTs, toTs, held)) ?? [];
    // Barcode scans (docs/epcis.md "Barcode scans"): a lot's are its units' and its units without serial.
    const scans = await epcisScans(this.store.db, { lotId: q.lot, epc: q.epc, fromTs, toTs });
    // Quantity holds (docs/epcis.md "Quantity holds"): units without serial have no EPC, so `?epc=` has none.
    const holds =
      q.epc === undefined ? ((await this.domain?.holds?.(q.lot ?? null, fromTs, toTs)) ?? []) : [];
    return { locations, passes, custody, readings, readingBuckets, locks, closures, scans, holds };
  }

  async exact(records: EpcisRecords, spans: readonly EpcisInexactSpan[]): Promise<EpcisRecords> {
    const all = records.readingBuckets ?? [];
    // An hour is read for all its sensors at once, so every sensor's bucket of a dropped hour goes.
    const hours = new Set<string>();
    for (const b of all)
      if (spans.some((s) => s.locationId === b.locationId && b.start < s.to && b.end > s.from))
        hours.add(JSON.stringify([b.locationId, b.start]));
    const readings = [...records.readings];
    for (const key of hours) {
      const [locationId, start] = JSON.parse(key) as [string, number];
      for (const r of await epcisReadings(
        this.store.db,
        locationId,
        start,
        start + EPCIS_BUCKET_MS,
        MAX_ROWS,
      ))
        readings.push(r);
    }
    const readingBuckets = all.filter((b) => !hours.has(JSON.stringify([b.locationId, b.start])));
    return { ...records, readings, readingBuckets };
  }
}

/**
 * The document of some records: sensor events the reading buckets cannot settle exactly are built again
 * from their readings (`exact`) until none is left (each round drops buckets, so it ends).
 */
export async function exportEpcisDocument(
  source: EpcisSource,
  records: EpcisRecords,
  rest: Omit<EpcisExportInput, keyof EpcisRecords>,
): Promise<EpcisDocument> {
  for (let input = records; ; ) {
    const inexact: EpcisInexactSpan[] = [];
    const doc = buildEpcisDocument({ ...input, ...rest }, source.exact ? inexact : undefined);
    if (inexact.length === 0 || !source.exact) return doc;
    const next = await source.exact(input, inexact);
    if ((next.readingBuckets?.length ?? 0) >= (input.readingBuckets?.length ?? 0))
      throw new ColdtraceError('internal', 'the EPCIS source dropped no reading bucket of an inexact span');
    input = next;
  }
}
