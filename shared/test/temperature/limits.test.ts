import { describe, expect, it } from 'vitest';
import { formatZodError } from '../../src/contract.js';
import { classify, excessC, isCritical, tempLimitsSchema } from '../../src/temperature/index.js';
import { COLD_ROOM } from './fixtures.js';

describe('tempLimitsSchema', () => {
  it('accepts a valid profile', () => {
    expect(tempLimitsSchema.parse(COLD_ROOM)).toEqual(COLD_ROOM);
  });

  it.each([
    [{ ...COLD_ROOM, minC: 8, maxC: 8 }, 'minC must be below maxC'],
    [{ ...COLD_ROOM, minC: 9 }, 'minC must be below maxC'],
    [{ ...COLD_ROOM, alarmDelayMs: -1 }, 'alarmDelayMs must be ≥ 0'],
    [{ ...COLD_ROOM, alarmDelayMs: 1.5 }, 'alarmDelayMs must be whole milliseconds'],
    [{ ...COLD_ROOM, criticalMarginC: -0.1 }, 'criticalMarginC must be ≥ 0'],
    [{ ...COLD_ROOM, maxGapMs: 0 }, 'maxGapMs must be > 0'],
    [{ ...COLD_ROOM, minC: Number.NaN }, 'minC: '],
    [{ ...COLD_ROOM, maxGapMs: 0 }, 'maxGapMs: '],
  ])('rejects %o with a clear message', (input, message) => {
    const r = tempLimitsSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(formatZodError(r.error!)).toContain(message);
  });

  it('rejects unknown keys (a typo in a config must not pass silently)', () => {
    expect(tempLimitsSchema.safeParse({ ...COLD_ROOM, maxGap: 5 }).success).toBe(false);
  });
});

describe('classify / isCritical / excessC', () => {
  it.each([
    [1.9, 'low', false, 0.1],
    [2, 'in', false, 0],
    [5, 'in', false, 0],
    [8, 'in', false, 0],
    [8.1, 'high', false, 0.1],
    [10, 'high', false, 2], // exactly at maxC + margin: not critical (strict)
    [10.01, 'high', true, 2.01],
    [0, 'low', false, 2], // exactly at minC − margin: not critical
    [-0.01, 'low', true, 2.01],
  ] as const)('%d °C is %s, critical=%s, excess %d', (t, band, critical, excess) => {
    expect(classify(t, COLD_ROOM)).toBe(band);
    expect(isCritical(t, COLD_ROOM)).toBe(critical);
    expect(excessC(t, COLD_ROOM)).toBeCloseTo(excess, 10);
  });
});
