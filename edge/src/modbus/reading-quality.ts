import type { ReadingQuality, SensorHealth } from '@coldtrace/shared';
import type { RegisterMap } from './modbus-config.js';
import { decodeValue, round3 } from './register-map.js';

/**
 * What one poll of a sensor gave (docs/modbus.md "Fault → reading quality"). `rh` absent: the map has
 * no humidity; null with `rhError`: a humidity fault, which does not void a good temperature.
 */
export type Outcome =
  | { quality: 'ok'; tempC: number; rh?: number | null; rhError?: string }
  | { quality: Exclude<ReadingQuality, 'ok'>; error: string };

/** What the rules need to know of a sensor. */
export interface SensorFacts {
  map: RegisterMap;
  /** Physical range of the sensing element, after calibration. */
  range: { minC: number; maxC: number };
  calibrationOffsetC: number;
}

/**
 * The reading the registers of a successful read give: a sentinel temperature is `sentinel`, one
 * outside the physical range (both limits inclusive, after calibration) is `out_of_physical_range`;
 * otherwise `ok`, with a humidity sentinel or a humidity outside 0..100 %RH as `rh: null` and `rhError`.
 * `words` are the registers read, by address; a register of the map not among them throws (a bug).
 */
export function assessRegisters(s: SensorFacts, words: ReadonlyMap<number, number>): Outcome {
  const t = decodeValue(s.map.temperature, words);
  if (t.kind === 'sentinel') return { quality: 'sentinel', error: `sentinel value ${t.raw}` };
  const tempC = round3(t.value + s.calibrationOffsetC);
  if (!(tempC >= s.range.minC && tempC <= s.range.maxC)) {
    return {
      quality: 'out_of_physical_range',
      error: `temperature ${tempC} °C outside ${s.range.minC}..${s.range.maxC}`,
    };
  }
  if (!s.map.humidity) return { quality: 'ok', tempC };
  const h = decodeValue(s.map.humidity, words);
  if (h.kind === 'sentinel')
    return { quality: 'ok', tempC, rh: null, rhError: `humidity: sentinel value ${h.raw}` };
  const rh = round3(h.value);
  if (!(rh >= 0 && rh <= 100)) {
    return { quality: 'ok', tempC, rh: null, rhError: `humidity ${rh} %RH outside 0..100` };
  }
  return { quality: 'ok', tempC, rh };
}

/**
 * Requests one poll may make: `1 + retries` while the sensor was answering, 1 once it is failing, so a
 * dead sensor costs one request per interval instead of flooding the bus.
 */
export function attemptsFor(consecutiveErrors: number, retries: number): number {
  return consecutiveErrors === 0 ? 1 + retries : 1;
}

/** A fault worth another attempt in the same poll: the request or its answer may have been garbled. */
export function isRetryable(q: ReadingQuality): boolean {
  return q === 'timeout' || q === 'crc_error';
}

/**
 * A sensor's state after a poll: `failed` from `failAfter` consecutive error readings on, `degraded`
 * below that or while the temperature is good but the humidity is not, else `ok`.
 */
export function sensorState(
  quality: ReadingQuality,
  consecutiveErrors: number,
  failAfter: number,
  humidityFault: boolean,
): SensorHealth['state'] {
  if (quality !== 'ok') return consecutiveErrors >= failAfter ? 'failed' : 'degraded';
  return humidityFault ? 'degraded' : 'ok';
}
