import { crossingPath, presentPath, prng, sgtin96, simulateReads, strayPath } from '@coldtrace/firmware-sim';
import { manualClock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import { describe, expect, it } from 'vitest';
import { portalConfigSchema } from '../../src/portal/portal-config.js';
import { PortalLogic } from '../../src/portal/portal-logic.js';

const T0 = 1_700_000_000_000;
const geo = { outsideAntennas: [1, 2], insideAntennas: [3, 4] };
const cfg = portalConfigSchema.parse({
  id: 'dock-1',
  reader: { host: 'reader' },
  outside: { locationId: 'yard', antennas: [1, 2] },
  inside: { locationId: 'coldroom', antennas: [3, 4] },
});

/** Feeds reads in report-sized slices, with the clock following the reads, then lets the dwell elapse. */
function run(reads: TagRead[]) {
  const clock = manualClock(T0);
  const logic = new PortalLogic(cfg, clock.now);
  const out = [];
  for (let i = 0; i < reads.length; i += 50) {
    const slice = reads.slice(i, i + 50);
    clock.set(Math.max(clock.now(), Math.floor(slice.at(-1)!.lastSeenUs! / 1000)));
    out.push(...logic.ingest(slice), ...logic.sweep());
  }
  clock.advance(cfg.dwellMs);
  out.push(...logic.sweep());
  expect(logic.tracking).toBe(0);
  return out;
}

describe('portal logic', () => {
  it('outside→inside gives one pass in, and the reverse gives one pass out', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = prng(seed);
      const epc = sgtin96(614141, 1, seed);
      const inn = run(simulateReads([crossingPath(epc, 'in', 1500, r)], 1500, T0, geo, r));
      expect(inn).toMatchObject([{ epc, kind: 'pass', direction: 'in', from: 'yard', to: 'coldroom' }]);
      const out = run(simulateReads([crossingPath(epc, 'out', 1500, r)], 1500, T0, geo, r));
      expect(out).toMatchObject([{ epc, kind: 'pass', direction: 'out', from: 'coldroom', to: 'yard' }]);
      const m = inn[0]!;
      expect(m.firstSeen).toBeLessThanOrEqual(m.ts);
      expect(m.ts).toBeLessThanOrEqual(m.lastSeen);
      expect(m.firstSeen).toBeGreaterThanOrEqual(T0);
    }
  });

  it('a tag lingering on one side gives a presence there and no pass', () => {
    for (const seed of [11, 12, 13]) {
      const r = prng(seed);
      const a = sgtin96(614141, 2, seed);
      const b = sgtin96(614141, 3, seed);
      const ms = run(
        simulateReads([presentPath(a, 'outside', r), presentPath(b, 'inside', r)], 5000, T0, geo, r),
      );
      expect(ms).toHaveLength(2);
      expect(ms.find((m) => m.epc === a)).toMatchObject({
        kind: 'presence',
        from: null,
        direction: null,
        to: 'yard',
      });
      expect(ms.find((m) => m.epc === b)).toMatchObject({ kind: 'presence', to: 'coldroom' });
    }
  });

  it('stray low-RSSI reads from stock near the door give nothing', () => {
    const r = prng(21);
    const epcs = Array.from({ length: 50 }, (_, i) => sgtin96(614141, 4, i));
    const reads = simulateReads(
      epcs.map((e) => strayPath(e, r)),
      10_000,
      T0,
      geo,
      r,
    );
    expect(reads.length).toBeGreaterThan(0); // the reader does see them, weakly
    expect(run(reads)).toEqual([]);
  });

  it('500 tags on one pallet crossing together give exactly 500 passes', () => {
    const r = prng(99);
    const epcs = Array.from({ length: 500 }, (_, i) => sgtin96(614141, 5, i));
    const reads = simulateReads(
      epcs.map((e) => crossingPath(e, 'in', 2000, r)),
      2000,
      T0,
      geo,
      r,
    );
    const ms = run(reads);
    expect(ms).toHaveLength(500);
    expect(new Set(ms.map((m) => m.epc)).size).toBe(500);
    expect(ms.every((m) => m.kind === 'pass' && m.direction === 'in')).toBe(true);
  });

  it('ignores reads from antennas on neither side and counts TagSeenCount', () => {
    const clock = manualClock(T0);
    const logic = new PortalLogic(cfg, clock.now);
    const read = (antennaId: number, t: number, seenCount = 1): TagRead => ({
      epc: 'AABBCCDDEEFF001122334455',
      antennaId,
      peakRssi: -50,
      firstSeenUs: t * 1000,
      lastSeenUs: t * 1000,
      seenCount,
      rospecId: 1,
      channelIndex: null,
    });
    logic.ingest([read(9, T0), read(9, T0 + 10), read(9, T0 + 20)]);
    expect(logic.tracking).toBe(0);
    logic.ingest([read(1, T0, 5)]);
    clock.advance(cfg.dwellMs);
    expect(logic.sweep()).toMatchObject([{ kind: 'presence', reads: 5, to: 'yard' }]);
  });
});
