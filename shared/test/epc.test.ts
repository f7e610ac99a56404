import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEpc, escapeEpcUriComponent, gtinOf, isDecodedEpc, sgtin96Hex } from '../src/epc.js';
import { ColdtraceError } from '../src/errors.js';
import { vectorsDir } from './vectors-dir.js';

// The GS1 EPC TDS values copied into test-vectors/ (see its README).
const VECTORS = join(vectorsDir(), 'epc-tds.json');
interface Vector {
  scheme: string;
  hex: string;
  tagUri?: string;
  pureIdentityUri?: string;
  gtin?: string;
  serial?: string;
  sscc?: string;
  filter?: number;
  partition?: number;
}
const vectors = (JSON.parse(readFileSync(VECTORS, 'utf8')) as { vectors: Vector[] }).vectors;

describe('decodeEpc against test-vectors/epc-tds.json', () => {
  it('has vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(7);
  });

  it.each(vectors.map((v) => [v.scheme, v] as const))('%s', (_scheme, v) => {
    const d = decodeEpc(v.hex);
    // gid-96 may be unsupported by a TDS library; epc-tds 1.4.1 decodes it, so the full result is asserted.
    expect(d.scheme).toBe(v.scheme);
    const { scheme: _s, hex, ...fields } = v;
    expect(d).toMatchObject({ hex, ...fields });
    expect(isDecodedEpc(d)).toBe(true);
  });

  it('escapes the alphanumeric SGTIN-198 serial in both URIs (TDS Table A-1), keeps it raw in serial', () => {
    const v = vectors.find((x) => x.scheme === 'sgtin-198')!;
    expect(decodeEpc(v.hex)).toMatchObject({
      serial: '32a/b',
      pureIdentityUri: 'urn:epc:id:sgtin:0614141.712345.32a%2Fb',
      tagUri: 'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb',
    });
  });

  it('decodes gid-96 fields (no filter, no partition, no company prefix)', () => {
    const d = decodeEpc('350007AB70425D4000000586');
    expect(d).toEqual({
      hex: '350007AB70425D4000000586',
      scheme: 'gid-96',
      tagUri: 'urn:epc:tag:gid-96:31415.271828.1414',
      pureIdentityUri: 'urn:epc:id:gid:31415.271828.1414',
      serial: '1414',
    });
  });

  it('reads company prefix with its leading zero and the partition', () => {
    expect(decodeEpc('3074257BF7194E4000001A85')).toMatchObject({ companyPrefix: '0614141', partition: 5 });
  });

  it('accepts lower case and surrounding whitespace, reporting upper-case hex', () => {
    expect(decodeEpc(' 3074257bf7194e4000001a85\n')).toMatchObject({
      hex: '3074257BF7194E4000001A85',
      gtin: '80614141123458',
    });
  });

  it('accepts a 198-bit EPC padded with zero bits to whole 16-bit words', () => {
    expect(decodeEpc('3674257BF6B7A659B2C2BF100000000000000000000000000000')).toMatchObject({
      scheme: 'sgtin-198',
      serial: '32a/b',
    });
  });
});

describe('decodeEpc on bad input', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['ZZ74257BF7194E4000001A85', 'not hexadecimal'],
    ['0x3074257BF7194E4000001A85', 'not hexadecimal'],
    ['3074-257B', 'not hexadecimal'],
    ['3', 'header'],
    ['30', 'needs 24 hex digits'],
    ['3074257BF7194E4000001A', 'needs 24 hex digits'], // too short
    ['3074257BF7194E4000001A8500', 'needs 24 hex digits'], // too long
    ['3074257BF7194E4000001A850000', 'needs 24 hex digits'], // word-padded 96-bit is not valid
    ['3674257BF6B7A659B2C2BF10000000000000000000000000000000', 'needs 50-52 hex digits'],
    ['3674257BF6B7A659B2C2BF100000000000000000000000000F', 'padding bits'],
    ['E2801160600002054CC2096F', 'not a supported TDS scheme'], // a TID-like value, not an EPC
    ['0000000000000000000000000', 'not a supported TDS scheme'],
    ['307FFFFFFFFFFFFFFFFFFFFF', 'partition value 7 is reserved'],
    ['3074FFFFFFFFFFFFFFFFFFFF', 'item reference is out of range'], // 20-bit field > 6 digits
    ['3077FFFFFFFFFFFFFFFFFFFF', 'does not match its company prefix'], // 24-bit field > 7 digits
  ])('%j is unknown (%s)', (hex, reason) => {
    const d = decodeEpc(hex);
    expect(d.scheme).toBe('unknown');
    expect(isDecodedEpc(d)).toBe(false);
    expect('error' in d && d.error).toContain(reason);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9A-Fa-f]{0,64}$/)), (s) => {
        const d = decodeEpc(s);
        expect(typeof d.scheme).toBe('string');
      }),
    );
    for (const odd of [null, undefined, 42, {}] as unknown[]) {
      expect(decodeEpc(odd as string).scheme).toBe('unknown');
    }
  });
});

describe('gtinOf', () => {
  it('gives the GTIN of an SGTIN and null otherwise', () => {
    expect(gtinOf('3074257BF7194E4000001A85')).toBe('80614141123458');
    expect(gtinOf('3174257BF4499602D2000000')).toBeNull(); // SSCC
    expect(gtinOf('not an epc')).toBeNull();
  });
});

describe('sgtin96Hex', () => {
  it('encodes the TDS worked example', () => {
    expect(sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 6789, filter: 3 })).toBe(
      '3074257BF7194E4000001A85',
    );
    expect(sgtin96Hex({ companyPrefix: '0614141', itemRef: 812345, serial: '6789', filter: 3 })).toBe(
      '3074257BF7194E4000001A85',
    );
  });

  it('defaults to filter 1 and round-trips through decodeEpc for every partition', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 12 }),
        fc.bigInt({ min: 0n, max: 2n ** 38n - 1n }),
        fc.integer({ min: 0, max: 7 }),
        fc.nat(),
        (cpLen, serial, filter, seed) => {
          const digits = (n: number, s: number) => String(s).padStart(n, '0').slice(-n);
          const companyPrefix = digits(cpLen, seed);
          const itemRef = digits(13 - cpLen, seed * 7 + 3);
          const hex = sgtin96Hex({ companyPrefix, itemRef, serial, filter });
          const d = decodeEpc(hex);
          expect(d).toMatchObject({
            scheme: 'sgtin-96',
            companyPrefix,
            partition: 12 - cpLen,
            filter,
            serial: String(serial),
            pureIdentityUri: `urn:epc:id:sgtin:${companyPrefix}.${itemRef}.${serial}`,
          });
          const gtin13 = itemRef[0]! + companyPrefix + itemRef.slice(1);
          expect(d.scheme !== 'unknown' && 'gtin' in d && d.gtin?.slice(0, 13)).toBe(gtin13);
        },
      ),
      { numRuns: 200 },
    );
    expect(decodeEpc(sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 }))).toMatchObject({
      filter: 1,
    });
  });

  it.each([
    [{ companyPrefix: '12345', itemRef: '12345678', serial: 1 }, 'companyPrefix'],
    [{ companyPrefix: 614141 as unknown as string, itemRef: '812345', serial: 1 }, 'companyPrefix'],
    [{ companyPrefix: '0614141', itemRef: '81234', serial: 1 }, 'itemRef must be 6 digits'],
    [{ companyPrefix: '0614141', itemRef: '8123456', serial: 1 }, 'itemRef'],
    [{ companyPrefix: '0614141', itemRef: '812345', serial: -1 }, 'serial'],
    [{ companyPrefix: '0614141', itemRef: '812345', serial: 2n ** 38n }, 'serial'],
    [{ companyPrefix: '0614141', itemRef: '812345', serial: 1.5 }, 'serial'],
    [{ companyPrefix: '0614141', itemRef: '812345', serial: 'abc' }, 'serial'],
    [{ companyPrefix: '0614141', itemRef: '812345', serial: 1, filter: 8 }, 'filter'],
  ])('rejects %o', (input, field) => {
    expect(() => sgtin96Hex(input)).toThrowError(ColdtraceError);
    expect(() => sgtin96Hex(input)).toThrowError(field);
  });
});

describe('escapeEpcUriComponent', () => {
  it('escapes exactly " % & / < > ? (TDS Table A-1)', () => {
    expect(escapeEpcUriComponent('a"b%c&d/e<f>g?h')).toBe('a%22b%25c%26d%2Fe%3Cf%3Eg%3Fh');
    expect(escapeEpcUriComponent("!'()*+,-.:;=_AZaz09")).toBe("!'()*+,-.:;=_AZaz09");
  });
});
