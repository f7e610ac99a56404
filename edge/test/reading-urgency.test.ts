import type { ReadingQuality } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { isUrgent, keepFromThinning, type ReadingFacts } from '../src/reading-urgency.js';

const LIMITS = { minC: 2, maxC: 8 };
const ok = (tempC: number): ReadingFacts => ({ quality: 'ok', tempC });
const bad = (quality: ReadingQuality): ReadingFacts => ({ quality, tempC: null });

describe('which readings are published at once (docs/architecture.md "Publisher")', () => {
  it.each<[string, ReadingQuality | undefined, ReadingFacts, typeof LIMITS | undefined, boolean]>([
    ['a sensor’s first reading, in range', undefined, ok(4.5), LIMITS, false],
    ['a sensor’s first reading, out of range', undefined, ok(9.1), LIMITS, true],
    ['in range after in range', 'ok', ok(4.6), LIMITS, false],
    ['exactly at maxC (in range)', 'ok', ok(8), LIMITS, false],
    ['0.01 °C above maxC', 'ok', ok(8.01), LIMITS, true],
    ['exactly at minC (in range)', 'ok', ok(2), LIMITS, false],
    ['0.01 °C below minC', 'ok', ok(1.99), LIMITS, true],
    ['out of range after out of range: every one', 'ok', ok(9.2), LIMITS, true],
    ['a location without limits has no range to leave', 'ok', ok(40), undefined, false],
    ['a sensor’s first reading an error', undefined, bad('timeout'), LIMITS, true],
    ['the first error after good readings', 'ok', bad('timeout'), LIMITS, true],
    ['the same error again (a dead sensor)', 'timeout', bad('timeout'), LIMITS, false],
    ['another kind of fault', 'timeout', bad('crc_error'), LIMITS, true],
    ['the device gone', 'crc_error', bad('disconnected'), LIMITS, true],
    ['still gone', 'disconnected', bad('disconnected'), LIMITS, false],
    ['the recovery, in range', 'timeout', ok(4.6), LIMITS, true],
    ['the recovery, without limits', 'sentinel', ok(4.6), undefined, true],
  ])('%s', (_case, previous, reading, limits, urgent) => {
    expect(isUrgent(previous, reading, limits)).toBe(urgent);
  });
});

describe('which readings a full buffer never thins', () => {
  it.each<[string, ReadingFacts, typeof LIMITS | undefined, boolean]>([
    ['in range', ok(4.5), LIMITS, false],
    ['exactly at a limit', ok(8), LIMITS, false],
    ['out of range', ok(8.01), LIMITS, true],
    ['an error reading', bad('timeout'), LIMITS, true],
    ['no limits for its location', ok(40), undefined, false],
  ])('%s', (_case, reading, limits, kept) => {
    expect(keepFromThinning(reading, limits)).toBe(kept);
  });
});
