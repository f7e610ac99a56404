import { describe, expect, it } from 'vitest';
import { expiredMonths } from '../../src/domain/retention-months.js';

const DAY = 86_400_000;

describe('expired months', () => {
  it('lists each month from the first reading whose end is at least the retention period ago', () => {
    const first = Date.UTC(2025, 10, 17, 3);
    expect(expiredMonths(first, Date.UTC(2026, 1, 10), 30)).toEqual(['2025-11', '2025-12']);
    // Exactly 30 days after the end of January, January has expired; a millisecond before, it has not.
    const febEndPlus30 = Date.UTC(2026, 1, 1) + 30 * DAY;
    expect(expiredMonths(first, febEndPlus30, 30)).toEqual(['2025-11', '2025-12', '2026-01']);
    expect(expiredMonths(first, febEndPlus30 - 1, 30)).toEqual(['2025-11', '2025-12']);
    expect(expiredMonths(first, Date.UTC(2025, 11, 30), 30)).toEqual([]);
    expect(expiredMonths(Date.UTC(2020, 0, 1), Date.UTC(2027, 0, 1), 3650)).toEqual([]);
  });
});
