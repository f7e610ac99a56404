import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEpc, gs1CheckDigit, sgtin96Hex, sgtinCandidates, sgtinOfScan } from '../../src/index.js';

// The SGTIN of a scanned GTIN + serial (TDS 2.x §14.5.1, §14.5.2): the identity an RFID tag of that unit has.
describe('sgtinOfScan', () => {
  it('is the SGTIN-96 a tag of the same unit carries (TDS worked example: 0614141.812345.6789)', () => {
    const tag = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 6789, filter: 3 });
    expect(sgtinOfScan({ gtin: '80614141123458', serial: '6789', companyPrefixLength: 7, filter: 3 })).toBe(
      tag,
    );
  });

  it('uses SGTIN-198 (padded to whole 16-bit words) for serials SGTIN-96 cannot hold', () => {
    for (const serial of ['AB/12', '007', '274877906944']) {
      const hex = sgtinOfScan({ gtin: '80614141123458', serial, companyPrefixLength: 7 });
      expect(hex).toHaveLength(52);
      expect(decodeEpc(hex)).toMatchObject({
        scheme: 'sgtin-198',
        serial,
        gtin: '80614141123458',
        filter: 1,
      });
    }
  });

  it('refuses what no SGTIN holds', () => {
    expect(() => sgtinOfScan({ gtin: '80614141123458', serial: 'a b', companyPrefixLength: 7 })).toThrow(
      /set 82/,
    );
    expect(() => sgtinOfScan({ gtin: '80614141123458', serial: '1', companyPrefixLength: 13 })).toThrow(
      /6..12/,
    );
    expect(sgtinCandidates('80614141123458', 'x'.repeat(21))).toEqual([]);
  });

  it('decodes back to its GTIN and serial for any partition and filter (property); the candidates hold it', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.oneof(fc.stringMatching(/^[1-9]\d{0,10}$/), fc.stringMatching(/^[A-Za-z0-9\-./]{1,20}$/)),
        fc.integer({ min: 6, max: 12 }),
        fc.integer({ min: 0, max: 7 }),
        (digits, serial, len, filter) => {
          const gtin = `0${digits}${gs1CheckDigit(`0${digits}`)}`;
          const hex = sgtinOfScan({ gtin, serial, companyPrefixLength: len, filter });
          const d = decodeEpc(hex);
          expect(d).toMatchObject({ gtin, serial, filter });
          expect(sgtinCandidates(gtin, serial)).toContain(hex);
        },
      ),
      { numRuns: 200 },
    );
  });
});
