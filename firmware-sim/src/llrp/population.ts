import type { TagRead } from '@coldtrace/shared/llrp';
import { seededRandom } from '../rng.js';

/** Deterministic PRNG (mulberry32) so that a seed reproduces a scenario exactly. */
export const prng = seededRandom;

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Door geometry: the tag path runs along x (outside < 0 < inside) at y = 0; the outside antennas hang
 * at x = -0.6 m, the inside ones at x = +0.6 m, both 0.5 m off the path. RSSI follows a log-distance
 * path loss (exponent 3.5) with per-antenna gain offsets and Gaussian noise; the chance that an
 * inventory round reads the tag falls with RSSI, as on a real reader.
 */
export interface DoorGeometry {
  outsideAntennas: number[];
  insideAntennas: number[];
  /** dB noise on each read. */
  rssiSigmaDb?: number;
  /** Milliseconds between inventory rounds per antenna. */
  readCycleMs?: number;
  /**
   * Conducted transmit power per antenna (dBm) the running ROSpec set; others at `MAX_TX_DBM`. Less
   * power lowers a tag's backscatter at the reader dB for dB, so distant tags drop out first.
   */
  txPowerDbm?: ReadonlyMap<number, number>;
}

/** The power the path loss model below is calibrated at (the simulated reader's maximum). */
export const MAX_TX_DBM = 30;

const ANTENNA_X = 0.6;
const ANTENNA_Y = 0.5;

function rssiAt(x: number, y: number, antennaX: number, gainDb: number): number {
  const d = Math.max(0.2, Math.hypot(x - antennaX, y - ANTENNA_Y));
  return -40 + gainDb - 35 * Math.log10(d / 0.5);
}

export interface TagPath {
  epc: string;
  /** Position (m) at time offset t (ms) from the start of the script. */
  at(tMs: number): { x: number; y: number } | null;
}

/** Simulates inventory rounds over [0, durationMs) and returns the reads, sorted by time. */
export function simulateReads(
  paths: readonly TagPath[],
  durationMs: number,
  startMs: number,
  geo: DoorGeometry,
  rand: () => number,
): TagRead[] {
  const cycle = geo.readCycleMs ?? 40;
  const sigma = geo.rssiSigmaDb ?? 2;
  const below = (id: number) => MAX_TX_DBM - (geo.txPowerDbm?.get(id) ?? MAX_TX_DBM);
  const antennas = [
    ...geo.outsideAntennas.map((id, i) => ({ id, x: -ANTENNA_X, gain: -i * 1.5 - below(id) })),
    ...geo.insideAntennas.map((id, i) => ({ id, x: ANTENNA_X, gain: -i * 1.5 - below(id) })),
  ];
  const reads: TagRead[] = [];
  for (let t = 0; t < durationMs; t += cycle) {
    for (const p of paths) {
      const pos = p.at(t);
      if (pos === null) continue;
      for (const a of antennas) {
        const rssi = Math.round(rssiAt(pos.x, pos.y, a.x, a.gain) + sigma * gaussian(rand));
        const prob = Math.min(0.9, Math.max(0, (rssi + 82) / 25));
        if (rand() >= prob) continue;
        const ts = startMs + t + Math.floor(rand() * cycle);
        reads.push({
          epc: p.epc,
          antennaId: a.id,
          peakRssi: Math.max(-128, Math.min(127, rssi)),
          firstSeenUs: ts * 1000,
          lastSeenUs: ts * 1000,
          seenCount: 1,
          rospecId: null,
          channelIndex: null,
        });
      }
    }
  }
  reads.sort((a, b) => a.firstSeenUs! - b.firstSeenUs!);
  return reads;
}

/** A tag carried through the door from -2 m to +2 m (or back) over durationMs, with small lateral jitter. */
export function crossingPath(
  epc: string,
  direction: 'in' | 'out',
  durationMs: number,
  rand: () => number,
): TagPath {
  const y = (rand() - 0.5) * 0.4;
  const lag = rand() * durationMs * 0.1; // cases on a pallet are not all at the same depth
  return {
    epc,
    at: (t) => {
      const f = (t - lag) / (durationMs * 0.9);
      if (f < 0 || f > 1) return null;
      const x = -2 + 4 * f;
      return { x: direction === 'in' ? x : -x, y };
    },
  };
}

/** A tag standing near the door on one side (a pallet parked in the portal's field). */
export function presentPath(epc: string, side: 'outside' | 'inside', rand: () => number): TagPath {
  const x = (side === 'outside' ? -1 : 1) * (1.2 + rand() * 0.3);
  const y = (rand() - 0.5) * 0.4;
  return { epc, at: () => ({ x, y }) };
}

/** Stock standing a few metres from the door: weak, sporadic reads. */
export function strayPath(epc: string, rand: () => number): TagPath {
  const x = (rand() < 0.5 ? -1 : 1) * (4 + rand() * 2);
  const y = 1.5 + rand();
  return { epc, at: () => ({ x, y }) };
}

/** An SGTIN-96 EPC as hex (GS1 TDS §14.5.1), partition 5 (7-digit company prefix). */
export function sgtin96(companyPrefix: number, itemRef: number, serial: number, filter = 1): string {
  let v = 0x30n; // header
  v = (v << 3n) | BigInt(filter & 7);
  v = (v << 3n) | 5n; // partition 5: 24-bit company prefix, 20-bit item reference
  v = (v << 24n) | BigInt(companyPrefix);
  v = (v << 20n) | BigInt(itemRef);
  v = (v << 38n) | BigInt(serial);
  return v.toString(16).toUpperCase().padStart(24, '0');
}
