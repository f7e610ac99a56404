import { describe, expect, it } from 'vitest';
import { aiAt } from '../../src/barcode/gs1-ai.js';
import { gs1CheckDigit } from '../../src/barcode/gs1-check-digit.js';
import { gs1Date, gs1Year } from '../../src/barcode/gs1-date.js';
import { GS } from '../../src/barcode/gs1-element-string.js';
import { parseBarcode } from '../../src/barcode/parse-barcode.js';
import { errorCodeOf } from './error-code-of.js';

const ctx = { now: Date.UTC(2026, 11, 6) };
describe('GS1 dates (GenSpecs §7.12)', () => {
  it('DD = 00 is the last day of the month, leap years included', () => {
    expect(gs1Date('260200', ctx)).toBe('2026-02-28');
    expect(gs1Date('280200', ctx)).toBe('2028-02-29');
    expect(gs1Date('261100', ctx)).toBe('2026-11-30');
    expect(gs1Date('261231', ctx)).toBe('2026-12-31');
  });

  it('the century follows the distance from the current year (51..99 back, -99..-50 ahead)', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(gs1Year(76, now)).toBe(2076); // +50: current century
    expect(gs1Year(77, now)).toBe(1977); // +51: previous
    expect(gs1Year(0, now)).toBe(2000);
    const late = Date.UTC(2080, 0, 1);
    expect(gs1Year(30, late)).toBe(2130); // -50: next century
    expect(gs1Year(31, late)).toBe(2031); // -49: current
  });

  it('refuses an impossible month or day', () => {
    expect(errorCodeOf(() => gs1Date('261301', ctx))).toBe('barcode_invalid_date');
    expect(errorCodeOf(() => gs1Date('260230', ctx))).toBe('barcode_invalid_date');
    expect(errorCodeOf(() => parseBarcode(']d2010952123454321317139901', ctx))).toBe('barcode_invalid_date');
  });
});

describe('GS1 element strings', () => {
  it('computes the GS1 check digit (GenSpecs §7.9.1)', () => {
    expect(gs1CheckDigit('0952123454321')).toBe(3);
    expect(gs1CheckDigit('00614141123456789')).toBe(0);
  });

  it('no AI of the table is a prefix of another (the reader takes the first match)', () => {
    for (const ai of ['01', '10', '17', '21', '235', '240', '3103', '3922', '7003', '8004', '90', '99']) {
      expect(aiAt(`${ai}X`, 0)?.ai).toBe(ai);
    }
  });

  it('reads GTIN, lot, expiry and serial from a GS1 DataMatrix with FNC1 separators', () => {
    const p = parseBarcode(`]d201095212345432131727020010ABC-12${GS}21SN71`, ctx);
    expect(p).toMatchObject({ format: 'gs1-element-string', symbology: ']d2', gtin: '09521234543213' });
    expect(p).toMatchObject({ lot: 'ABC-12', serial: 'SN71', expiry: '2027-02-28' });
  });

  it('reads data without a symbology identifier, with a leading FNC1, and in brackets', () => {
    const a = parseBarcode(`${GS}010952123454321310LOT1`, ctx);
    const b = parseBarcode('010952123454321310LOT1', ctx);
    const c = parseBarcode('(01)09521234543213(10)LOT1', ctx);
    for (const p of [a, b, c])
      expect(p).toMatchObject({ gtin: '09521234543213', lot: 'LOT1', symbology: null });
  });

  it('gives each malformed code its own declared error', () => {
    expect(errorCodeOf(() => parseBarcode(']d20109521234543214', ctx))).toBe('barcode_check_digit');
    expect(errorCodeOf(() => parseBarcode(']C100106141411234567890', ctx))).toBe('barcode_check_digit');
    expect(errorCodeOf(() => parseBarcode(']d20109521234543213890ABC', ctx))).toBe('barcode_unknown_ai');
    expect(errorCodeOf(() => parseBarcode(']d2010952123454', ctx))).toBe('barcode_malformed'); // cut short
    expect(errorCodeOf(() => parseBarcode(`]d210${'A'.repeat(21)}`, ctx))).toBe('barcode_malformed'); // lot > 20
    expect(errorCodeOf(() => parseBarcode(']d210AB C', ctx))).toBe('barcode_malformed'); // space not in set 82
    expect(errorCodeOf(() => parseBarcode(`]d20109521234543213${GS}0109521234543213`, ctx))).toBe(
      'barcode_malformed',
    ); // twice
    expect(errorCodeOf(() => parseBarcode(']d2', ctx))).toBe('barcode_malformed');
    expect(errorCodeOf(() => parseBarcode('', ctx))).toBe('barcode_malformed');
    expect(errorCodeOf(() => parseBarcode(']A0HELLO', ctx))).toBe('barcode_unsupported');
    expect(errorCodeOf(() => parseBarcode('hello', ctx))).toBe('barcode_unsupported');
  });

  it('requires FNC1 after a variable-length element that is followed by another', () => {
    // Without FNC1 the lot runs to the end and swallows the expiry: (10) "LOT117270131" is a valid lot.
    expect(parseBarcode(']d2010952123454321310LOT117270131', ctx)).toMatchObject({
      lot: 'LOT117270131',
      expiry: null,
    });
    expect(parseBarcode(`]d2010952123454321310LOT1${GS}17270131`, ctx)).toMatchObject({
      lot: 'LOT1',
      expiry: '2027-01-31',
    });
  });
});

describe('ISO/IEC 15434 envelope, format 05 (GS1 data in a non-GS1 DataMatrix)', () => {
  it('reads the element string inside [)> RS 05 GS … RS EOT', () => {
    const p = parseBarcode(`]d1[)>\u001e05${GS}010952123454321310LOT1${GS}17270600\u001e\u0004`, ctx);
    expect(p).toMatchObject({ format: 'gs1-element-string', symbology: ']d1', gtin: '09521234543213' });
    expect(p).toMatchObject({ lot: 'LOT1', expiry: '2027-06-30' });
  });

  it('refuses another format (06: ASC MH10 data identifiers) and several envelopes', () => {
    expect(errorCodeOf(() => parseBarcode(`]d1[)>\u001e06${GS}1PABC\u001e\u0004`, ctx))).toBe(
      'barcode_unsupported',
    );
    expect(
      errorCodeOf(() => parseBarcode(`[)>\u001e05${GS}0109521234543213\u001e06${GS}1PX\u001e\u0004`, ctx)),
    ).toBe('barcode_unsupported');
  });
});

describe('GS1 Digital Link', () => {
  it('reads a custom domain with a path prefix, percent-decoding and resolver parameters', () => {
    const p = parseBarcode(
      ']Q1https://brand.example.com/p/01/09521234543213/10/A%2FB1?17=270600&linkType=gs1:pip',
      ctx,
    );
    expect(p).toMatchObject({ format: 'gs1-digital-link', symbology: ']Q1', gtin: '09521234543213' });
    expect(p.elements).toEqual([
      { ai: '01', value: '09521234543213' },
      { ai: '10', value: 'A/B1' },
      { ai: '17', value: '270600' },
    ]);
    expect(p.expiry).toBe('2027-06-30');
  });
  it('pairs path elements from the end: a lot or serial that reads like a key is a value', () => {
    // Found by the scanner simulator's property test: lot "253" (GDTI's AI) was taken for the key.
    for (const [lot, serial] of [
      ['253', '0'],
      ['01', '00'],
      ['00', '01'],
      ['414', '8003'],
    ]) {
      const p = parseBarcode(`https://id.gs1.org/01/09521234543213/10/${lot}/21/${serial}?17=260101`, ctx);
      expect({ gtin: p.gtin, lot: p.lot, serial: p.serial }).toEqual({ gtin: '09521234543213', lot, serial });
    }
  });
});
