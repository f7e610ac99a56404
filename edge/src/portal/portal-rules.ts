import type { TagRead } from '@coldtrace/shared/llrp';
import type { NewMovement } from '../module.js';
import type { PortalConfig } from './portal-config.js';

/**
 * The portal's rules as pure functions over plain data (docs/architecture.md "Portal logic"): which read
 * counts and for which side, when a tag has left, and what its reads mean (pass, presence or nothing).
 * `PortalLogic` keeps one `Track` per tag in the field and applies them.
 */
export type Side = 'out' | 'in';

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

/** What is known of one tag while it is in the field. */
export interface Track {
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

/** A read that counts: its side, event times (ms), RSSI and TagSeenCount. */
export interface SideRead {
  side: Side;
  first: number;
  last: number;
  rssi: number;
  count: number;
}

/** Antenna → side of the door, from the portal's configuration. */
export function sidesOf(c: Pick<PortalThresholds, 'outside' | 'inside'>): Map<number, Side> {
  const side = new Map<number, Side>();
  for (const a of c.outside.antennas) side.set(a, 'out');
  for (const a of c.inside.antennas) side.set(a, 'in');
  return side;
}

/**
 * The read as it counts, or undefined when it does not: its antenna is on neither side, or its RSSI is
 * below `minRssiDbm` (a stray read from stock near the door; a read without RSSI counts at the
 * threshold). Times are the reader's (µs → ms), else `clockNow`.
 */
export function qualify(
  r: TagRead,
  side: ReadonlyMap<number, Side>,
  minRssiDbm: number,
  clockNow: number,
): SideRead | undefined {
  const s = r.antennaId === null ? undefined : side.get(r.antennaId);
  if (s === undefined) return undefined;
  const rssi = r.peakRssi ?? minRssiDbm;
  if (rssi < minRssiDbm) return undefined;
  const first = r.firstSeenUs !== null ? Math.floor(r.firstSeenUs / 1000) : clockNow;
  const last = r.lastSeenUs !== null ? Math.floor(r.lastSeenUs / 1000) : first;
  return { side: s, first, last, rssi, count: r.seenCount > 0 ? r.seenCount : 1 };
}

/** The tag has left the field: no read for `dwellMs` of event time (a read exactly then is too late). */
export function dwellEnded(lastSeen: number, now: number, dwellMs: number): boolean {
  return now - lastSeen >= dwellMs;
}

/** `r` begins a new track of its tag: the tag had left, or the track would outlast `maxTrackMs`. */
export function startsNewTrack(t: Track, r: SideRead, c: Pick<PortalThresholds, 'dwellMs' | 'maxTrackMs'>) {
  return dwellEnded(t.lastSeen, r.first, c.dwellMs) || r.last - t.firstSeen > c.maxTrackMs;
}

export function emptyTrack(epc: string, r: SideRead): Track {
  return {
    epc,
    firstSeen: r.first,
    lastSeen: r.last,
    reads: 0,
    peakRssi: r.rssi,
    outW: 0,
    outWT: 0,
    outReads: 0,
    inW: 0,
    inWT: 0,
    inReads: 0,
  };
}

/** Adds a read to its track (in place: a portal sees thousands of reads a second). */
export function addRead(t: Track, r: SideRead, minRssiDbm: number): void {
  t.reads += r.count;
  if (r.first < t.firstSeen) t.firstSeen = r.first;
  if (r.last > t.lastSeen) t.lastSeen = r.last;
  if (r.rssi > t.peakRssi) t.peakRssi = r.rssi;
  // Signal strength above the threshold weighs the read: the nearer antenna dominates its side.
  const w = r.count * (r.rssi - minRssiDbm + 1);
  const mid = (r.first + r.last) / 2;
  if (r.side === 'out') {
    t.outW += w;
    t.outWT += w * mid;
    t.outReads += r.count;
  } else {
    t.inW += w;
    t.inWT += w * mid;
    t.inReads += r.count;
  }
}

/**
 * What a finished track means. Fewer than `minReads` reads: nothing (stray reads). Both sides with
 * `minSideReads` and side centroids apart by at least max(`minSideGapMs`, `minSideGapRatio` × time
 * seen): a pass from the earlier side to the later, at the midpoint of the centroids. Otherwise a
 * presence on the side with more weight (a tag lingering at the door is not crossing it).
 */
export function classifyTrack(t: Track, c: PortalThresholds): NewMovement | null {
  if (t.reads < c.minReads) return null;
  const base = {
    epc: t.epc,
    portalId: c.id,
    firstSeen: t.firstSeen,
    lastSeen: t.lastSeen,
    reads: t.reads,
    peakRssi: Math.max(-128, Math.min(127, t.peakRssi)),
  };
  if (t.outReads >= c.minSideReads && t.inReads >= c.minSideReads) {
    const outT = t.outWT / t.outW;
    const inT = t.inWT / t.inW;
    const minGap = Math.max(c.minSideGapMs, c.minSideGapRatio * (t.lastSeen - t.firstSeen));
    if (Math.abs(inT - outT) >= minGap) {
      const dirIn = outT < inT;
      const ts = Math.min(t.lastSeen, Math.max(t.firstSeen, Math.round((outT + inT) / 2)));
      return {
        ...base,
        kind: 'pass',
        direction: dirIn ? 'in' : 'out',
        from: dirIn ? c.outside.locationId : c.inside.locationId,
        to: dirIn ? c.inside.locationId : c.outside.locationId,
        ts,
      };
    }
  }
  return {
    ...base,
    kind: 'presence',
    direction: null,
    from: null,
    to: t.outW > t.inW ? c.outside.locationId : c.inside.locationId,
    ts: t.lastSeen,
  };
}
