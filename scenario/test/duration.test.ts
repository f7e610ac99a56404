import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';

describe('durations', () => {
  it.each([
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    ['45s', 45_000],
    ['1500', 1500],
  ])('%s = %d ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', 'soon', '1x', '-5m', '1h 30m'])('rejects %j', (s) => expect(parseDuration(s)).toBeUndefined());

  it('formats what it parses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400 }),
        (seconds) => parseDuration(formatDuration(seconds * 1000)) === seconds * 1000,
      ),
    );
  });
});
