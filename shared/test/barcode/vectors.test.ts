import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeElementString, GS, type Gs1Element } from '../../src/barcode/gs1-element-string.js';
import { parseHibc } from '../../src/barcode/hibc.js';
import { parseBarcode } from '../../src/barcode/parse-barcode.js';
import { vectorsDir } from '../vectors-dir.js';
import { errorCodeOf } from './error-code-of.js';

const dir = vectorsDir('barcode');
const engine = JSON.parse(readFileSync(join(dir, 'gs1-syntax-engine.json'), 'utf8')) as {
  scanData: { cases: Array<{ line: number; valid: boolean; scanData: string; engineResult: string }> };
  digitalLinkUris: { cases: Array<{ line: number; valid: boolean; uri: string; engineResult: string }> };
};
const hibc = JSON.parse(readFileSync(join(dir, 'hibc.json'), 'utf8')) as {
  cases: Array<{ source: string; code: string; expect: Record<string, unknown> }>;
  invalid: Array<{ source: string; code: string; error: string }>;
};
// The engine's vectors date from 2018-2026; two-digit years resolve against a scan in 2026.
const ctx = { now: Date.UTC(2026, 11, 6) };
const GS1_SYMBOLOGIES = [']d2', ']C1', ']Q3', ']e0', ']J1'];
/** The engine writes an element string with `^` for FNC1, leading `^` for the symbol's first FNC1. */
const engineForm = (elements: Gs1Element[]) => `^${encodeElementString(elements).replaceAll(GS, '^')}`;

describe('GS1 scan data: the GS1 Barcode Syntax Engine vectors (test-vectors/barcode)', () => {
  const cases = engine.scanData.cases;
  it('has the GS1 symbologies and the Digital Link carriers', () => {
    expect(
      cases.filter((c) => c.valid && GS1_SYMBOLOGIES.includes(c.scanData.slice(0, 3))).length,
    ).toBeGreaterThanOrEqual(8);
    expect(cases.filter((c) => c.scanData.includes('://')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases.map((c) => [c.line, c] as const))('scandata.c:%i', (_line, c) => {
    const sym = c.scanData.slice(0, 3);
    if (c.valid && GS1_SYMBOLOGIES.includes(sym)) {
      const p = parseBarcode(c.scanData, ctx);
      expect(p.format).toBe('gs1-element-string');
      expect(p.symbology).toBe(sym);
      expect(engineForm(p.elements!)).toBe(c.engineResult);
    } else if (c.valid && /^(?:https?|HTTPS?):\/\//.test(c.engineResult)) {
      // The engine extracts AIs from a Digital Link in a plain-data symbol (]Q1, ]d1, ]J0).
      const p = parseBarcode(c.scanData, ctx);
      expect(p.format).toBe('gs1-digital-link');
      expect(engineForm(p.elements!)).toBe('^011231231231233399TEST');
    } else if (c.valid) {
      // Plain non-GS1 data (or a mixed-case scheme the engine does not read as a Digital Link) identifies
      // nothing coldtrace records: refused with a clear code.
      expect(errorCodeOf(() => parseBarcode(c.scanData, ctx))).toBe('barcode_unsupported');
    } else {
      expect(errorCodeOf(() => parseBarcode(c.scanData, ctx))).toMatch(/^barcode_/);
    }
  });
});

describe('GS1 Digital Link URIs: the GS1 Barcode Syntax Engine vectors (test-vectors/barcode)', () => {
  const cases = engine.digitalLinkUris.cases;
  it('has valid and invalid URIs, the Digital Link standard examples among them', () => {
    expect(cases.filter((c) => c.valid).length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => !c.valid).length).toBeGreaterThanOrEqual(30);
    expect(
      cases.some((c) => c.uri === 'https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426'),
    ).toBe(true);
  });

  it.each(cases.map((c) => [c.line, c] as const))('dl.c:%i', (_line, c) => {
    const key = /^\^(\d\d)/.exec(c.engineResult)?.[1];
    if (c.valid && (key === '00' || key === '01')) {
      const p = parseBarcode(c.uri, ctx);
      expect(p.format).toBe('gs1-digital-link');
      expect(engineForm(p.elements!)).toBe(c.engineResult);
    } else if (c.valid) {
      // A valid URI keyed by a GLN, GRAI, GIAI…: not a trade item or logistic unit a scan station records.
      expect(errorCodeOf(() => parseBarcode(c.uri, ctx))).toBe('barcode_unsupported');
    } else {
      expect(errorCodeOf(() => parseBarcode(c.uri, ctx))).toMatch(/^barcode_/);
    }
  });

  it('reads the Digital Link standard example into GTIN, lot, serial and expiry', () => {
    expect(
      parseBarcode('https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426', ctx),
    ).toMatchObject({
      gtin: '09520123456788',
      lot: 'ABC1',
      serial: '12345',
      expiry: '2018-04-26',
      symbology: null,
    });
  });
});

describe('HIBC: ANSI/HIBC 2.6 examples and labels (test-vectors/barcode/hibc.json)', () => {
  it('has the standard examples', () => {
    expect(hibc.cases.filter((c) => c.source.startsWith('ANSI/HIBC 2.6')).length).toBe(3);
  });

  it.each(hibc.cases.map((c) => [c.code, c] as const))('%s', (code, c) => {
    expect(parseHibc(code, ctx)).toMatchObject(c.expect);
  });

  it.each(hibc.invalid.map((c) => [c.code, c] as const))('%s is refused', (code, c) => {
    expect(errorCodeOf(() => parseBarcode(code, ctx))).toBe(c.error);
  });

  it('a lone secondary links to its primary by the primary check character', () => {
    const primary = parseHibc('+A123BJC5D6E71G', ctx);
    const secondary = parseHibc('+$$52001510X3GD', ctx);
    expect(secondary.link).toBe(primary.check);
  });
});
