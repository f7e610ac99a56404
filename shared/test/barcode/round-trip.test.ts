import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gs1CheckDigit } from '../../src/barcode/gs1-check-digit.js';
import { encodeDigitalLink } from '../../src/barcode/gs1-digital-link.js';
import { encodeElementString, type Gs1Element } from '../../src/barcode/gs1-element-string.js';
import { encodeHibc } from '../../src/barcode/hibc.js';
import { parseBarcode } from '../../src/barcode/parse-barcode.js';

const ctx = { now: Date.UTC(2026, 11, 6) };
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const gtin = digits(13).map((d) => `${d}${gs1CheckDigit(d)}`);
/** GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1). */
const cset82 = [...'!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'];
const text82 = (max: number) => fc.string({ unit: fc.constantFrom(...cset82), minLength: 1, maxLength: max });
// Dates within the century window of 2026 (GenSpecs §7.12), day 00 included.
const expiry = fc
  .record({
    y: fc.integer({ min: 0, max: 75 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 0, max: 28 }),
  })
  .map(({ y, m, d }) => [y, m, d].map((n) => String(n).padStart(2, '0')).join(''));

const item = fc.record({ gtin, lot: text82(20), serial: text82(20), expiry }, { requiredKeys: ['gtin'] });
type Item = typeof item extends fc.Arbitrary<infer T> ? T : never;

function elementsOf(x: Item, order: number[]): Gs1Element[] {
  const rest: Gs1Element[] = [];
  if (x.lot !== undefined) rest.push({ ai: '10', value: x.lot });
  if (x.serial !== undefined) rest.push({ ai: '21', value: x.serial });
  if (x.expiry !== undefined) rest.push({ ai: '17', value: x.expiry });
  // `order` is a permutation of 0..2: the elements after the GTIN in that order.
  return [{ ai: '01', value: x.gtin }, ...order.filter((i) => i < rest.length).map((i) => rest[i]!)];
}

function expectFields(p: ReturnType<typeof parseBarcode>, x: Item) {
  expect(p.gtin).toBe(x.gtin);
  expect(p.lot).toBe(x.lot ?? null);
  expect(p.serial).toBe(x.serial ?? null);
  if (x.expiry === undefined) expect(p.expiry).toBeNull();
  else {
    const [y, m, d] = [x.expiry.slice(0, 2), x.expiry.slice(2, 4), x.expiry.slice(4)];
    expect(p.expiry!.slice(0, 8)).toBe(`20${y}-${m}-`);
    if (d !== '00') expect(p.expiry!.slice(8)).toBe(d);
  }
}

describe('encode → parse round trips (fast-check)', () => {
  it('GS1 element strings in any element order, under every GS1 symbology identifier', () => {
    fc.assert(
      fc.property(
        item,
        fc.constantFrom(']d2', ']C1', ']Q3', ']e0', ''),
        fc.shuffledSubarray([0, 1, 2], { minLength: 3 }),
        (x, sym, order) => {
          const elements = elementsOf(x, order);
          const p = parseBarcode(`${sym}${encodeElementString(elements)}`, ctx);
          expect(p.elements).toEqual(elements);
          expectFields(p, x);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('GS1 Digital Link URIs with percent-encoded values', () => {
    fc.assert(
      fc.property(
        item,
        fc.constantFrom('https://id.gs1.org', 'https://example.com/shop/p', 'HTTP://a.b'),
        (x, stem) => {
          const p = parseBarcode(encodeDigitalLink(elementsOf(x, [0, 1, 2]), stem), ctx);
          expect(p.format).toBe('gs1-digital-link');
          expectFields(p, x);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('HIBC concatenated codes (mod-43 check character)', () => {
    const alnum = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
    const an = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...alnum), minLength: min, maxLength: max });
    const hibc = fc.record(
      {
        lic: fc.tuple(fc.constantFrom(...alnum.slice(0, 26)), an(3, 3)).map(([a, b]) => a + b),
        pcn: an(1, 13),
        uom: fc.constantFrom(...'0123456789'),
        lot: an(1, 18),
        serial: an(1, 18),
        expiry: fc
          .date({ min: new Date('2000-01-01'), max: new Date('2075-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
      },
      { requiredKeys: ['lic', 'pcn', 'uom'] },
    );
    fc.assert(
      fc.property(hibc, (h) => {
        const p = parseBarcode(encodeHibc(h), ctx);
        expect(p).toMatchObject({
          format: 'hibc',
          hibc: `${h.lic}${h.pcn}${h.uom}`,
          lot: h.lot ?? null,
          serial: h.serial ?? null,
          expiry: h.expiry ?? null,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a changed character is caught by the check digit or character', () => {
    fc.assert(
      fc.property(gtin, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 9 }), (g, at, delta) => {
        const bad = g.slice(0, at) + String((Number(g[at]) + delta) % 10) + g.slice(at + 1);
        expect(() => parseBarcode(`]d201${bad}`, ctx)).toThrow(
          expect.objectContaining({ code: 'barcode_check_digit' }),
        );
      }),
    );
  });
});
