import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLiveBatch } from '../../src/publisher/live-batch.js';

const NOW = 1_767_225_600_000;
const WINDOW = 30_000;
const rec = (ts: number) =>
  JSON.stringify({ seq: 1, sensorId: 's1', locationId: 'room-1', ts, tempC: 4, quality: 'ok' });

describe('isLiveBatch', () => {
  it('is live when every reading is within the window, up to its edge inclusive', () => {
    expect(isLiveBatch({ records: [rec(NOW - WINDOW), rec(NOW)], thinned: [] }, NOW, WINDOW)).toBe(true);
    expect(isLiveBatch({ records: [rec(NOW - WINDOW - 1), rec(NOW)], thinned: [] }, NOW, WINDOW)).toBe(false);
    // Order in the batch does not matter: one old reading anywhere makes a backlog batch.
    expect(isLiveBatch({ records: [rec(NOW), rec(NOW - WINDOW - 1)], thinned: [] }, NOW, WINDOW)).toBe(false);
  });

  it('is never live with thinned ranges, without records, or with the window 0', () => {
    const young = [rec(NOW)];
    expect(isLiveBatch({ records: young, thinned: [] }, NOW, WINDOW)).toBe(true);
    expect(isLiveBatch({ records: young, thinned: [{ from: 1, to: 3 }] }, NOW, WINDOW)).toBe(false);
    expect(isLiveBatch({ records: [], thinned: [] }, NOW, WINDOW)).toBe(false);
    expect(isLiveBatch({ records: young, thinned: [] }, NOW, 0)).toBe(false);
  });

  it('equals "the oldest reading is within the window" for any batch (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -120_000, max: 60_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 100_000 }),
        (offsets, window) => {
          const records = offsets.map((o) => rec(NOW + o));
          const oldest = Math.min(...offsets.map((o) => NOW + o));
          expect(isLiveBatch({ records, thinned: [] }, NOW, window)).toBe(oldest >= NOW - window);
        },
      ),
    );
  });
});
