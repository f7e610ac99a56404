import type { TagRead } from '@coldtrace/shared/llrp';
import type { NewMovement } from '../module.js';
import type { PortalConfig } from './portal-config.js';

interface Track {
  epc: string;
  firstSeen: number;
  lastSeen: number;
  reads: number;
  peakRssi: number;
  /** Σ w·t and Σ w per side, for the time-weighted centroid of the reads on that side. */
  outW: number;
  outWT: number;
  outReads: number;
  inW: number;
  inWT: number;
  inReads: number;
}

export type PortalThresholds = Pick<
  PortalConfig,
  | 'id'
  | 'outside'
  | 'inside'
  | 'minRssiDbm'
  | 'minReads'
  | 'minSideReads'
  | 'dwellMs'
  | 'maxTrackMs'
  | 'minSideGapMs'
  | 'minSideGapRatio'
>;

/**
 * Turns raw tag reads into passes and presence observations (DESIGN "Portal logic"):
 * - a read qualifies when its RSSI ≥ minRssiDbm and its antenna belongs to a side of the door;
 * - a tag counts once it has minReads qualifying reads (stray reads from stock nearby never do);
 * - it has left after dwellMs without qualifying reads (event time, from the reader's timestamps);
 * - each side's reads give a time centroid weighted by signal strength above the threshold; a tag whose
 *   two sides both have minSideReads and whose centroids differ by ≥ minSideGapMs (and ≥ minSideGapRatio of
 *   the time it was seen) passed from the earlier
 *   side to the later; otherwise it is a presence on the side with more weight.
 */
export class PortalLogic {
  private tracks = new Map<string, Track>();
  private readonly side = new Map<number, 'out' | 'in'>();
  /** Latest event time seen, and the clock time when it was seen (to extrapolate event time). */
  private eventNow = 0;
  private clockAtEvent = 0;

  constructor(
    private readonly c: PortalThresholds,
    private readonly now: () => number,
  ) {
    for (const a of c.outside.antennas) this.side.set(a, 'out');
    for (const a of c.inside.antennas) this.side.set(a, 'in');
  }

  get tracking(): number {
    return this.tracks.size;
  }

  /** Feeds reads; returns movements finished because of maxTrackMs. */
  ingest(reads: readonly TagRead[]): NewMovement[] {
    const done: NewMovement[] = [];
    const clockNow = this.now();
    const minRssi = this.c.minRssiDbm;
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i]!;
      const s = r.antennaId === null ? undefined : this.side.get(r.antennaId);
      if (s === undefined) continue;
      const rssi = r.peakRssi ?? minRssi;
      if (rssi < minRssi) continue;
      // Reader timestamps (µs → ms) when present, else the gateway clock.
      const first = r.firstSeenUs !== null ? Math.floor(r.firstSeenUs / 1000) : clockNow;
      const last = r.lastSeenUs !== null ? Math.floor(r.lastSeenUs / 1000) : first;
      if (last > this.eventNow) {
        this.eventNow = last;
        this.clockAtEvent = clockNow;
      }
      let t = this.tracks.get(r.epc);
      if (
        t !== undefined &&
        (first - t.lastSeen > this.c.dwellMs || last - t.firstSeen > this.c.maxTrackMs)
      ) {
        const m = this.finish(t);
        if (m) done.push(m);
        t = undefined;
      }
      if (t === undefined) {
        t = {
          epc: r.epc,
          firstSeen: first,
          lastSeen: last,
          reads: 0,
          peakRssi: rssi,
          outW: 0,
          outWT: 0,
          outReads: 0,
          inW: 0,
          inWT: 0,
          inReads: 0,
        };
        this.tracks.set(r.epc, t);
      }
      const n = r.seenCount > 0 ? r.seenCount : 1;
      t.reads += n;
      if (first < t.firstSeen) t.firstSeen = first;
      if (last > t.lastSeen) t.lastSeen = last;
      if (rssi > t.peakRssi) t.peakRssi = rssi;
      const w = n * (rssi - minRssi + 1);
      const mid = (first + last) / 2;
      if (s === 'out') {
        t.outW += w;
        t.outWT += w * mid;
        t.outReads += n;
      } else {
        t.inW += w;
        t.inWT += w * mid;
        t.inReads += n;
      }
    }
    return done;
  }

  /** Event time now: the latest reader time, extrapolated by the clock since it was seen. */
  eventTime(): number {
    const clockNow = this.now();
    if (this.eventNow === 0) return clockNow;
    return this.eventNow + Math.max(0, clockNow - this.clockAtEvent);
  }

  /** Finishes the tags not read for dwellMs. */
  sweep(): NewMovement[] {
    const now = this.eventTime();
    const out: NewMovement[] = [];
    for (const [epc, t] of this.tracks) {
      if (now - t.lastSeen >= this.c.dwellMs) {
        this.tracks.delete(epc);
        const m = this.finish(t);
        if (m) out.push(m);
      }
    }
    return out;
  }

  /** Finishes every tracked tag now (gateway stopping). */
  flush(): NewMovement[] {
    const out: NewMovement[] = [];
    for (const t of this.tracks.values()) {
      const m = this.finish(t);
      if (m) out.push(m);
    }
    this.tracks.clear();
    return out;
  }

  private finish(t: Track): NewMovement | null {
    this.tracks.delete(t.epc);
    if (t.reads < this.c.minReads) return null;
    const base = {
      epc: t.epc,
      portalId: this.c.id,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      reads: t.reads,
      peakRssi: Math.max(-128, Math.min(127, t.peakRssi)),
    };
    const sides = this.c.minSideReads;
    if (t.outReads >= sides && t.inReads >= sides) {
      const outT = t.outWT / t.outW;
      const inT = t.inWT / t.inW;
      const minGap = Math.max(this.c.minSideGapMs, this.c.minSideGapRatio * (t.lastSeen - t.firstSeen));
      if (Math.abs(inT - outT) >= minGap) {
        const dirIn = outT < inT;
        const ts = Math.min(t.lastSeen, Math.max(t.firstSeen, Math.round((outT + inT) / 2)));
        return {
          ...base,
          kind: 'pass',
          direction: dirIn ? 'in' : 'out',
          from: dirIn ? this.c.outside.locationId : this.c.inside.locationId,
          to: dirIn ? this.c.inside.locationId : this.c.outside.locationId,
          ts,
        };
      }
    }
    const onOutside = t.outW > t.inW;
    return {
      ...base,
      kind: 'presence',
      direction: null,
      from: null,
      to: onOutside ? this.c.outside.locationId : this.c.inside.locationId,
      ts: t.lastSeen,
    };
  }
}
