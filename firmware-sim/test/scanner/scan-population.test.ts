import { ColdtraceError, parseBarcode } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ScanLot, scanLotSchema, scanPopulation } from '../../src/scanner/scan-population.js';

// Scan time for two-digit years (GenSpecs §7.12): any time in 2026 reads the profiles' years the same way.
const NOW = Date.UTC(2026, 11, 6);

function read(code: string) {
  try {
    return parseBarcode(code, { now: NOW });
  } catch (err) {
    if (err instanceof ColdtraceError) return err.code;
    throw err;
  }
}

const lots: ScanLot[] = [
  {
    gtin: '09521234543213',
    lot: 'LOT-A',
    expiry: '2027-06-30',
    serialFrom: 1001,
    units: 20,
    format: 'datamatrix',
  },
  { gtin: '09521234543213', lot: 'LOT-B', expiry: '2027-09-30', units: 5, format: 'gs1-128' },
  {
    gtin: '04012345000009',
    lot: 'Q/7',
    expiry: '2028-02-29',
    serialFrom: 7,
    units: 5,
    format: 'digital-link',
  },
  {
    hibc: { lic: 'A999', pcn: '1234', uom: '5' },
    lot: '10X3',
    expiry: '2028-01-15',
    serialFrom: 1,
    units: 5,
    format: 'hibc',
  },
];

describe('scanPopulation: the codes a simulated scanner sends', () => {
  it('reads every unit once, correctly, in each label format; the same seed gives the same run', () => {
    const scans = scanPopulation(lots, { misread: 0, partial: 0 }, 3);
    expect(scans).toHaveLength(35);
    expect(scanPopulation(lots, { misread: 0, partial: 0 }, 3)).toEqual(scans);
    expect(scanPopulation(lots, { misread: 0, partial: 0 }, 4)).not.toEqual(scans);
    for (const s of scans) {
      const r = read(s.code);
      expect(typeof r, s.code).toBe('object');
      if (typeof r === 'string') continue;
      expect({ gtin: r.gtin, hibc: r.hibc, lot: r.lot, expiry: r.expiry, serial: r.serial }).toEqual(s.label);
    }
    expect(scans.map((s) => s.code.slice(0, 3))).toEqual(
      expect.arrayContaining([']d2', ']C1', ']Q1', ']d1']),
    );
    const serialised = scans.filter((s) => s.label.lot === 'LOT-A').map((s) => Number(s.label.serial));
    expect(serialised.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 1001 + i));
  });

  it('a misread or partial read is refused by the parser and followed by a good re-scan of the same unit', () => {
    const scans = scanPopulation(lots, { misread: 0.3, partial: 0.3 }, 11);
    const faulty = scans.filter((s) => s.fault !== 'none');
    // Precondition: this seed produces both kinds.
    expect(faulty.some((s) => s.fault === 'misread')).toBe(true);
    expect(faulty.some((s) => s.fault === 'partial')).toBe(true);
    for (const [i, s] of scans.entries()) {
      if (s.fault === 'none') continue;
      expect(typeof read(s.code), `${s.fault}: ${JSON.stringify(s.code)}`).toBe('string');
      expect(scans[i + 1]).toMatchObject({ fault: 'none', label: s.label });
    }
    expect(scans.filter((s) => s.fault === 'none')).toHaveLength(35);
  });

  it('any population and fault shares: good reads return their labels, faulty reads never parse', () => {
    const lotArb = fc.record({
      gtin: fc.constantFrom('09521234543213', '04012345000009', '00012345600012'),
      lot: fc.stringMatching(/^[A-Z0-9-]{1,20}$/),
      expiry: fc
        .date({
          min: new Date(Date.UTC(2026, 0, 1)),
          max: new Date(Date.UTC(2049, 11, 31)),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
      serialFrom: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }),
      units: fc.integer({ min: 1, max: 5 }),
      format: fc.constantFrom('datamatrix' as const, 'gs1-128' as const, 'digital-link' as const),
    });
    fc.assert(
      fc.property(
        fc.array(lotArb, { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer(),
        (ls, misread, partial, seed) => {
          const parsed = ls.map((l) => scanLotSchema.parse(l));
          for (const s of scanPopulation(parsed, { misread, partial }, seed)) {
            const r = read(s.code);
            if (s.fault !== 'none') {
              expect(typeof r).toBe('string');
              continue;
            }
            if (typeof r === 'string') throw new Error(`${r}: ${JSON.stringify(s.code)}`);
            expect({ gtin: r.gtin, hibc: r.hibc, lot: r.lot, expiry: r.expiry, serial: r.serial }).toEqual(
              s.label,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
