import { readingSchema } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReadingFast } from '../../src/buffer/fast-reading.js';
import { reading } from './fixtures.js';

// The fast path may only accept what readingSchema accepts, and must then serialise it faithfully.
describe('encodeReadingFast', () => {
  const anyValue = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -100, 200, 200.0001, -100.5, 100, 101, 946_684_800_000, 7_258_118_400_001, Number.NaN),
    fc.string(),
    fc.constantFrom('ok', 'timeout', 'bad', 's-1', 'a/b', ' x', 'x'.repeat(65), 'room.1:a'),
  );
  const mutated = fc
    .record({
      base: fc.integer({ min: 0, max: 1000 }),
      key: fc.constantFrom('sensorId', 'locationId', 'ts', 'tempC', 'rh', 'quality', 'extra', 'seq'),
      value: anyValue,
      drop: fc.boolean(),
    })
    .map(({ base, key, value, drop }) => {
      const r: Record<string, unknown> = { ...reading(base) };
      if (drop) delete r[key];
      else r[key] = value;
      return r;
    });

  it('agrees with readingSchema on valid and mutated readings', () => {
    fc.assert(
      fc.property(mutated, (r) => {
        const out = encodeReadingFast(r, 7);
        const zod = readingSchema.safeParse({ ...r, seq: 7 });
        if (out !== null) {
          expect(zod.success).toBe(true);
          expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify({ ...r, seq: 7 })));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('takes the fast path for ordinary readings, errors and humidity', () => {
    expect(encodeReadingFast({ ...reading(1) }, 1)).not.toBeNull();
    expect(
      encodeReadingFast({ ...reading(1, { tempC: null, quality: 'timeout', rh: null }) }, 1),
    ).not.toBeNull();
    expect(encodeReadingFast({ ...reading(1, { tempC: null }) }, 1)).toBeNull();
    expect(encodeReadingFast({ ...reading(1), extra: 1 }, 1)).toBeNull();
  });
});
