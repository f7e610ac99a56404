import type { TagRead } from '@coldtrace/shared/llrp';
import type { NewMovement } from '../module.js';
import {
  addRead,
  classifyTrack,
  dwellEnded,
  emptyTrack,
  type PortalThresholds,
  qualify,
  type Side,
  sidesOf,
  startsNewTrack,
  type Track,
} from './portal-rules.js';

export type { PortalThresholds } from './portal-rules.js';

/**
 * Turns raw tag reads into passes and presence observations (docs/architecture.md "Portal logic"): keeps
 * a track per tag in the field and applies the rules of `portal-rules.ts` to it, in event time (the
 * reader's timestamps, extrapolated with the injected clock between reports).
 */
export class PortalLogic {
  private tracks = new Map<string, Track>();
  private readonly side: ReadonlyMap<number, Side>;
  /** Latest event time seen, and the clock time when it was seen (to extrapolate event time). */
  private eventNow = 0;
  private clockAtEvent = 0;

  constructor(
    private readonly c: PortalThresholds,
    private readonly now: () => number,
  ) {
    this.side = sidesOf(c);
  }

  get tracking(): number {
    return this.tracks.size;
  }

  /** Feeds reads; returns the movements they finished (a tag back after its dwell, or past maxTrackMs). */
  ingest(reads: readonly TagRead[]): NewMovement[] {
    const done: NewMovement[] = [];
    const clockNow = this.now();
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i]!;
      const r = qualify(read, this.side, this.c.minRssiDbm, clockNow);
      if (r === undefined) continue;
      if (r.last > this.eventNow) {
        this.eventNow = r.last;
        this.clockAtEvent = clockNow;
      }
      let t = this.tracks.get(read.epc);
      if (t !== undefined && startsNewTrack(t, r, this.c)) {
        const m = this.finish(t);
        if (m) done.push(m);
        t = undefined;
      }
      if (t === undefined) {
        t = emptyTrack(read.epc, r);
        this.tracks.set(read.epc, t);
      }
      addRead(t, r, this.c.minRssiDbm);
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
    for (const t of this.tracks.values()) {
      if (dwellEnded(t.lastSeen, now, this.c.dwellMs)) {
        const m = this.finish(t);
        if (m) out.push(m);
      }
    }
    return out;
  }

  /**
   * Finishes every tracked tag now, as it stands, and forgets the event time: the gateway is stopping,
   * or the reader's times went back (its clock stepped) and later reads belong to a new time base.
   */
  flush(): NewMovement[] {
    const out: NewMovement[] = [];
    for (const t of this.tracks.values()) {
      const m = classifyTrack(t, this.c);
      if (m) out.push(m);
    }
    this.tracks.clear();
    this.eventNow = 0;
    this.clockAtEvent = 0;
    return out;
  }

  private finish(t: Track): NewMovement | null {
    this.tracks.delete(t.epc);
    return classifyTrack(t, this.c);
  }
}
