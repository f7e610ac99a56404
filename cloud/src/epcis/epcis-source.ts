import { ColdtraceError } from '@coldtrace/shared';
import type { CloudStore } from '../store/cloud-store.js';
import { epcisPasses, epcisReadings } from '../store/queries/epcis-records.js';
import { epcisScans } from '../store/queries/epcis-scans.js';
import type {
  EpcisClosure,
  EpcisCustodyInterval,
  EpcisExportInput,
  EpcisHold,
  EpcisLock,
  EpcisPass,
} from './epcis-input.js';

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
  'locations' | 'passes' | 'custody' | 'readings' | 'locks' | 'closures' | 'scans' | 'holds'
>;

export interface EpcisSource {
  records(q: EpcisQuery, now: number): Promise<EpcisRecords>;
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

/** The EPCIS source over the cloud store (locations, movements, readings) plus optional domain data. */
export class StoreEpcisSource implements EpcisSource {
  constructor(
    private readonly store: CloudStore,
    private readonly domain?: EpcisDomainData,
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

    const readings: EpcisRecords['readings'][number][] = [];
    const spans = new Map<string, { from: number; to: number }>();
    for (const c of custody) {
      const s = spans.get(c.locationId) ?? { from: c.enteredAt, to: c.leftAt ?? end };
      s.from = Math.min(s.from, c.enteredAt);
      s.to = Math.max(s.to, c.leftAt ?? end);
      spans.set(c.locationId, s);
    }
    for (const [locationId, s] of spans)
      for (const r of await epcisReadings(this.store.db, locationId, s.from, s.to, MAX_ROWS))
        readings.push(r);
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
    return { locations, passes, custody, readings, locks, closures, scans, holds };
  }
}
