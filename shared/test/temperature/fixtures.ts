import type { Sample, TempLimits } from '../../src/temperature/index.js';

/** 2023-11-14T22:13:20Z: an arbitrary epoch origin for test series. */
export const T0 = 1_700_000_000_000;
export const MIN = 60_000;
/** Epoch ms `n` minutes after T0. */
export const m = (n: number): number => T0 + n * MIN;

/** A 2–8 °C cold room: 30 min alarm delay, 2 °C critical margin, 15 min max data gap. */
export const COLD_ROOM: TempLimits = {
  minC: 2,
  maxC: 8,
  alarmDelayMs: 30 * MIN,
  criticalMarginC: 2,
  maxGapMs: 15 * MIN,
};

/** Builds samples from `[minute, tempC]` pairs. */
export const series = (...points: Array<[number, number | null]>): Sample[] =>
  points.map(([min, tempC]) => ({ ts: m(min), tempC }));
