import { manualClock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import { describe, expect, it } from 'vitest';
import type { NewMovement } from '../../src/module.js';
import { portalConfigSchema } from '../../src/portal/portal-config.js';
import { PortalLogic } from '../../src/portal/portal-logic.js';
import {
  addRead,
  classifyTrack,
  dwellEnded,
  emptyTrack,
  qualify,
  type Side,
  type SideRead,
  sidesOf,
  type Track,
} from '../../src/portal/portal-rules.js';

const T0 = 1_767_225_600_000;
const EPC = '3034257BF7194E4000000001';
// Defaults: minRssiDbm −65, minReads 3, minSideReads 2, dwellMs 2000, maxTrackMs 120 000,
// minSideGapMs 50, minSideGapRatio 0.15.
const cfg = portalConfigSchema.parse({
  id: 'dock-1',
  reader: { host: 'reader' },
  outside: { locationId: 'yard', antennas: [1, 2] },
  inside: { locationId: 'coldroom', antennas: [3, 4] },
});

/** A read as the connector delivers it: antenna, RSSI, first/last seen (ms after T0), TagSeenCount. */
const tagRead = (antennaId: number | null, tMs: number, o: Partial<TagRead> = {}): TagRead => ({
  epc: EPC,
  antennaId,
  peakRssi: -50,
  firstSeenUs: (T0 + tMs) * 1000,
  lastSeenUs: (T0 + tMs) * 1000,
  seenCount: 1,
  rospecId: 1,
  channelIndex: null,
  ...o,
});

/** A track from reads `[side, ms after T0, rssi = −50, count = 1]`, added as the portal adds them. */
function trackOf(reads: [Side, number, number?, number?][]): Track {
  let t: Track | undefined;
  for (const [side, ms, rssi = -50, count = 1] of reads) {
    const r: SideRead = { side, first: T0 + ms, last: T0 + ms, rssi, count };
    t ??= emptyTrack(EPC, r);
    addRead(t, r, cfg.minRssiDbm);
  }
  return t!;
}

const passIn = (tsMs: number) => ({
  kind: 'pass',
  direction: 'in',
  from: 'yard',
  to: 'coldroom',
  ts: T0 + tsMs,
});
const passOut = (tsMs: number) => ({
  kind: 'pass',
  direction: 'out',
  from: 'coldroom',
  to: 'yard',
  ts: T0 + tsMs,
});
const presence = (to: string, tsMs: number) => ({
  kind: 'presence',
  direction: null,
  from: null,
  to,
  ts: T0 + tsMs,
});

describe('which reads count (portal-rules `qualify`)', () => {
  const side = sidesOf(cfg);
  it.each<[string, TagRead, Partial<SideRead> | undefined]>([
    ['an outside antenna', tagRead(1, 0), { side: 'out', first: T0, last: T0, rssi: -50, count: 1 }],
    ['an inside antenna', tagRead(4, 0), { side: 'in' }],
    ['an antenna on neither side', tagRead(9, 0), undefined],
    ['no antenna ID', tagRead(null, 0), undefined],
    ['RSSI exactly minRssiDbm', tagRead(1, 0, { peakRssi: -65 }), { side: 'out', rssi: -65 }],
    ['RSSI 1 dB below minRssiDbm (stray read)', tagRead(1, 0, { peakRssi: -66 }), undefined],
    ['no RSSI: counts at the threshold', tagRead(1, 0, { peakRssi: null }), { rssi: -65 }],
    ['TagSeenCount 5', tagRead(1, 0, { seenCount: 5 }), { count: 5 }],
    ['TagSeenCount 0: counts once', tagRead(1, 0, { seenCount: 0 }), { count: 1 }],
    [
      'no reader times: the gateway clock',
      tagRead(1, 0, { firstSeenUs: null, lastSeenUs: null }),
      { first: 42, last: 42 },
    ],
    ['first seen only: last = first', tagRead(1, 7, { lastSeenUs: null }), { first: T0 + 7, last: T0 + 7 }],
  ])('%s', (_case, read, expected) => {
    const r = qualify(read, side, cfg.minRssiDbm, 42);
    if (expected === undefined) expect(r).toBeUndefined();
    else expect(r).toMatchObject(expected);
  });
});

describe('what a finished track means (portal-rules `classifyTrack`)', () => {
  it.each<[string, [Side, number, number?, number?][], object | null]>([
    [
      'outside first, inside last: a pass in',
      [
        ['out', 0],
        ['out', 100],
        ['in', 400],
        ['in', 500],
      ],
      passIn(250),
    ],
    [
      'inside first, outside last: a pass out',
      [
        ['in', 0],
        ['in', 100],
        ['out', 400],
        ['out', 500],
      ],
      passOut(250),
    ],
    [
      'outside only: a presence outside',
      [
        ['out', 0],
        ['out', 100],
        ['out', 200],
      ],
      presence('yard', 200),
    ],
    [
      'inside only: a presence inside',
      [
        ['in', 0],
        ['in', 100],
        ['in', 200],
      ],
      presence('coldroom', 200),
    ],
    [
      'one read short of minReads: nothing (stray)',
      [
        ['out', 0],
        ['in', 500],
      ],
      null,
    ],
    [
      'minReads, but one side short of minSideReads: a presence on the heavier side',
      [
        ['out', 0],
        ['in', 400],
        ['in', 500],
      ],
      presence('coldroom', 500),
    ],
    [
      'a presence goes to the stronger side, not the side with more reads',
      [
        ['out', 0, -64],
        ['out', 10, -64],
        ['in', 20, -40],
      ],
      presence('coldroom', 20),
    ],
    [
      'TagSeenCount counts as reads on its side',
      [
        ['out', 0, -50, 2],
        ['in', 500, -50, 2],
      ],
      passIn(250),
    ],
    [
      'centroids exactly minSideGapMs apart: a pass',
      [
        ['out', 0],
        ['out', 0],
        ['in', 50],
        ['in', 50],
      ],
      passIn(25),
    ],
    [
      'centroids 1 ms short of minSideGapMs: a presence (direction unclear)',
      [
        ['out', 0],
        ['out', 0],
        ['in', 49],
        ['in', 49],
      ],
      presence('coldroom', 49),
    ],
    [
      'centroids exactly minSideGapRatio × time seen apart: a pass',
      [
        ['out', 0],
        ['out', 1000],
        ['in', 300],
        ['in', 1000],
      ],
      passIn(575),
    ],
    [
      'centroids 1 ms short of minSideGapRatio × time seen: a presence (lingering, not crossing)',
      [
        ['out', 0],
        ['out', 1000],
        ['in', 298],
        ['in', 1000],
      ],
      presence('coldroom', 1000),
    ],
  ])('%s', (_case, reads, expected) => {
    const m = classifyTrack(trackOf(reads), cfg);
    if (expected === null) expect(m).toBeNull();
    else expect(m).toMatchObject({ epc: EPC, portalId: 'dock-1', firstSeen: T0 + reads[0]![1], ...expected });
  });
});

describe('when a tag has left (portal-rules `dwellEnded`)', () => {
  it.each([
    ['dwell − 1 ms without a read: still in the field', 1999, false],
    ['exactly the dwell: left', 2000, true],
    ['dwell + 1 ms: left', 2001, true],
  ])('%s', (_case, sinceMs, left) => {
    expect(dwellEnded(T0, T0 + sinceMs, cfg.dwellMs)).toBe(left);
  });
});

describe('dwell and track length as the portal logic applies them', () => {
  /** Three outside reads at 0, 10, 20 ms, then `next` (a read), then a sweep at `sweepAtMs` (ms after T0). */
  function play(next: TagRead | undefined, sweepAtMs: number) {
    const clock = manualClock(T0);
    const logic = new PortalLogic(cfg, clock.now);
    const out: NewMovement[] = [];
    clock.set(T0 + 20); // reads arrive when they were taken
    out.push(...logic.ingest([tagRead(1, 0), tagRead(1, 10), tagRead(1, 20)]));
    if (next) {
      clock.set(Math.floor(next.lastSeenUs! / 1000));
      out.push(...logic.ingest([next]));
    }
    clock.set(T0 + sweepAtMs);
    out.push(...logic.sweep());
    return { out, tracking: logic.tracking };
  }

  it.each<[string, TagRead | undefined, number, { reads: number }[], number]>([
    [
      'the next read dwell − 1 ms after the last: the same track',
      tagRead(1, 20 + 1999),
      1e6,
      [{ reads: 4 }],
      0,
    ],
    // The first track ends (3 reads: a presence); the lone new read is below minReads.
    [
      'the next read exactly dwell after the last: a new track',
      tagRead(1, 20 + 2000),
      1e6,
      [{ reads: 3 }],
      0,
    ],
    ['a sweep dwell − 1 ms after the last read: still tracking', undefined, 20 + 1999, [], 1],
    ['a sweep exactly dwell after the last read: finished', undefined, 20 + 2000, [{ reads: 3 }], 0],
    [
      'a read ending maxTrackMs after the first: the same track',
      tagRead(1, 1500, { firstSeenUs: (T0 + 1500) * 1000, lastSeenUs: (T0 + 120_000) * 1000 }),
      1e6,
      [{ reads: 4 }],
      0,
    ],
    [
      'a read ending maxTrackMs + 1 ms after the first: reported, tracked afresh',
      tagRead(1, 1500, { firstSeenUs: (T0 + 1500) * 1000, lastSeenUs: (T0 + 120_001) * 1000 }),
      1e6,
      [{ reads: 3 }],
      0,
    ],
  ])('%s', (_case, next, sweepAtMs, movements, tracking) => {
    const r = play(next, sweepAtMs);
    expect(r.out).toMatchObject(movements);
    expect(r.out).toHaveLength(movements.length);
    expect(r.tracking).toBe(tracking);
  });
});
