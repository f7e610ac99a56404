import type { ReadingQuality, SensorHealth } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import {
  type RegisterMap,
  registerMapSchema,
  XY_MD02_MAP,
  XY_MD02_RANGE_C,
} from '../../src/modbus/modbus-config.js';
import {
  assessRegisters,
  attemptsFor,
  isRetryable,
  type Outcome,
  type SensorFacts,
  sensorState,
} from '../../src/modbus/reading-quality.js';

const xy = (calibrationOffsetC = 0): SensorFacts => ({
  map: XY_MD02_MAP,
  range: XY_MD02_RANGE_C,
  calibrationOffsetC,
});
const typed = (type: RegisterMap['temperature']['type'], extra: object = {}): SensorFacts => ({
  map: registerMapSchema.parse({ functionCode: 3, temperature: { register: 0, type, ...extra } }),
  range: { minC: -100, maxC: 1000 },
  calibrationOffsetC: 0,
});
/** XY-MD02 input registers 1 (°C × 10, int16) and 2 (%RH × 10). */
const xyWords = (t: number, rh = 450) =>
  new Map([
    [1, t & 0xffff],
    [2, rh & 0xffff],
  ]);
const at0 = (...ws: number[]) => new Map(ws.map((w, i) => [i, w]));
const f32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return at0(b.readUInt16BE(0), b.readUInt16BE(2));
};

describe('registers → reading quality (docs/modbus.md "Fault → reading quality", "Humidity faults")', () => {
  it.each<[string, SensorFacts, Map<number, number>, Outcome]>([
    ['an ordinary reading', xy(), xyWords(45, 500), { quality: 'ok', tempC: 4.5, rh: 50 }],
    [
      'a negative temperature (two’s complement)',
      xy(),
      xyWords(-123),
      { quality: 'ok', tempC: -12.3, rh: 45 },
    ],
    ['exactly the upper physical limit (125 °C)', xy(), xyWords(1250), { quality: 'ok', tempC: 125, rh: 45 }],
    [
      '0.1 °C above the upper physical limit',
      xy(),
      xyWords(1251),
      { quality: 'out_of_physical_range', error: 'temperature 125.1 °C outside -40..125' },
    ],
    ['exactly the lower physical limit (−40 °C)', xy(), xyWords(-400), { quality: 'ok', tempC: -40, rh: 45 }],
    [
      '0.1 °C below the lower physical limit',
      xy(),
      xyWords(-401),
      { quality: 'out_of_physical_range', error: 'temperature -40.1 °C outside -40..125' },
    ],
    [
      'the calibration offset takes it past the limit',
      xy(0.2),
      xyWords(1249),
      { quality: 'out_of_physical_range', error: 'temperature 125.1 °C outside -40..125' },
    ],
    [
      'the calibration offset brings it back to the limit',
      xy(-0.1),
      xyWords(1251),
      { quality: 'ok', tempC: 125, rh: 45 },
    ],
    ['int16 sentinel 0x7FFF', xy(), xyWords(0x7fff), { quality: 'sentinel', error: 'sentinel value 32767' }],
    [
      'int16 sentinel 0x8000 (−32768)',
      xy(),
      xyWords(0x8000),
      { quality: 'sentinel', error: 'sentinel value -32768' },
    ],
    [
      'int16 0x7FFE is a value, not a sentinel',
      typed('int16', { scale: 0.01 }),
      at0(0x7ffe),
      { quality: 'ok', tempC: 327.66 },
    ],
    [
      'uint16 sentinel 0xFFFF',
      typed('uint16'),
      at0(0xffff),
      { quality: 'sentinel', error: 'sentinel value 65535' },
    ],
    [
      'int32 sentinel 0x7FFFFFFF',
      typed('int32'),
      at0(0x7fff, 0xffff),
      { quality: 'sentinel', error: 'sentinel value 2147483647' },
    ],
    [
      'int32 sentinel −2³¹',
      typed('int32'),
      at0(0x8000, 0),
      { quality: 'sentinel', error: 'sentinel value -2147483648' },
    ],
    [
      'uint32 sentinel 0xFFFFFFFF',
      typed('uint32'),
      at0(0xffff, 0xffff),
      { quality: 'sentinel', error: 'sentinel value 4294967295' },
    ],
    ['float32 NaN', typed('float32'), f32(Number.NaN), { quality: 'sentinel', error: 'sentinel value NaN' }],
    [
      'float32 +Infinity',
      typed('float32'),
      f32(Number.POSITIVE_INFINITY),
      { quality: 'sentinel', error: 'sentinel value Infinity' },
    ],
    [
      'a configured sentinel',
      typed('int16', { sentinels: [-999] }),
      at0(-999 & 0xffff),
      { quality: 'sentinel', error: 'sentinel value -999' },
    ],
    [
      'configured sentinels replace the defaults',
      typed('int16', { sentinels: [-999] }),
      at0(0x7fff),
      { quality: 'out_of_physical_range', error: 'temperature 32767 °C outside -100..1000' },
    ],
    ['humidity exactly 100 %RH', xy(), xyWords(45, 1000), { quality: 'ok', tempC: 4.5, rh: 100 }],
    ['humidity exactly 0 %RH', xy(), xyWords(45, 0), { quality: 'ok', tempC: 4.5, rh: 0 }],
    [
      'humidity 100.1 %RH keeps the temperature, rh null',
      xy(),
      xyWords(45, 1001),
      { quality: 'ok', tempC: 4.5, rh: null, rhError: 'humidity 100.1 %RH outside 0..100' },
    ],
    [
      'humidity sentinel 0xFFFF keeps the temperature, rh null',
      xy(),
      xyWords(45, 0xffff),
      { quality: 'ok', tempC: 4.5, rh: null, rhError: 'humidity: sentinel value 65535' },
    ],
    [
      'a temperature sentinel wins over a good humidity',
      xy(),
      xyWords(0x7fff, 500),
      { quality: 'sentinel', error: 'sentinel value 32767' },
    ],
    ['a map without humidity gives no rh at all', typed('int16'), at0(42), { quality: 'ok', tempC: 42 }],
  ])('%s', (_case, sensor, words, expected) => {
    expect(assessRegisters(sensor, words)).toEqual(expected);
  });
});

describe('sensor state after a poll', () => {
  it.each<[string, ReadingQuality, number, number, boolean, SensorHealth['state']]>([
    ['a good reading', 'ok', 0, 3, false, 'ok'],
    ['a good temperature with a humidity fault', 'ok', 0, 3, true, 'degraded'],
    ['the first error reading', 'timeout', 1, 3, false, 'degraded'],
    ['one error short of failAfter', 'crc_error', 2, 3, false, 'degraded'],
    ['exactly failAfter error readings', 'sentinel', 3, 3, false, 'failed'],
    ['past failAfter', 'disconnected', 4, 3, false, 'failed'],
    ['failAfter 1: the first error fails it', 'modbus_exception', 1, 1, false, 'failed'],
  ])('%s → %s', (_case, quality, consecutiveErrors, failAfter, humidityFault, state) => {
    expect(sensorState(quality, consecutiveErrors, failAfter, humidityFault)).toBe(state);
  });
});

describe('retries within one poll', () => {
  it.each([
    ['an answering sensor gets its retries', 0, 1, 2],
    ['no retries configured', 0, 0, 1],
    ['the most retries', 0, 5, 6],
    ['a failing sensor gets one request per interval', 1, 1, 1],
    ['a long-dead sensor too', 40, 5, 1],
  ])('%s: %i errors so far, retries %i → %i attempts', (_case, errors, retries, attempts) => {
    expect(attemptsFor(errors, retries)).toBe(attempts);
  });

  it.each<[ReadingQuality, boolean]>([
    ['timeout', true],
    ['crc_error', true],
    ['modbus_exception', false],
    ['sentinel', false],
    ['out_of_physical_range', false],
    ['disconnected', false],
    ['error', false],
  ])('%s is retried: %s', (quality, retried) => {
    expect(isRetryable(quality)).toBe(retried);
  });
});
