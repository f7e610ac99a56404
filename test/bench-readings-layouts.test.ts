import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centi } from '../bench/readings-layouts.js';

// The temperature encoding of the candidate layouts (bench/readings-layouts.ts): 0.01 °C as an integer only
// where SQLite's decode in the `readings` view (integer / CAST(100 AS double precision)) gives back the very
// same double; every other value goes to the exact fallback column. Digests, archives and EPCIS golden
// files depend on bit-identical values.
describe('bench/readings-layouts.ts centi', () => {
  const db = new Database(':memory:');
  const decode = db.prepare('SELECT ? / CAST(100 AS double precision) AS v');
  const bits = (v: number) => Buffer.from(new Float64Array([v]).buffer).toString('hex');

  it('encodes two-decimal temperatures, and each decodes bit-identical in SQL', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 20_000 }), (c) => {
        const v = c / 100;
        expect(centi(v)).toBe(c === 0 ? 0 : c);
        expect(bits((decode.get(centi(v)) as { v: number }).v)).toBe(bits(v));
      }),
    );
  });

  it('falls back for any double the integer would not give back exactly (-0 included)', () => {
    expect(bits(-0)).not.toBe(bits(0)); // why -0 cannot be stored as the integer 0
    expect(centi(-0)).toBeNull();
    expect(centi(4.125)).toBeNull();
    expect(centi(0.1 + 0.2)).toBeNull();
    fc.assert(
      fc.property(fc.double({ min: -100, max: 200, noNaN: true }), (v) => {
        const c = centi(v);
        if (c !== null) expect(bits((decode.get(c) as { v: number }).v)).toBe(bits(v));
      }),
    );
  });
});
