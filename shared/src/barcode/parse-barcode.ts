import { ColdtraceError } from '../errors.js';
import type { DateContext } from './gs1-date.js';
import { gs1Date } from './gs1-date.js';
import { isDigitalLink, parseDigitalLink } from './gs1-digital-link.js';
import { GS, type Gs1Element, parseBracketed, parseElementString } from './gs1-element-string.js';
import { parseHibc } from './hibc.js';

/**
 * AIM symbology identifiers (ISO/IEC 15424) whose data is a GS1 element string: GS1 DataMatrix, GS1-128,
 * GS1 QR Code, GS1 DataBar / composite, GS1 DotCode (GenSpecs §5.1.2 / §5.4.2).
 */
const GS1_SYMBOLOGIES = new Set([']d2', ']C1', ']Q3', ']e0', ']J1']);

/** ISO/IEC 15434 message header `[)>` RS (a DataMatrix in non-GS1 mode, e.g. on device labels). */
const ISO15434 = '[)>\u001e';
const RS = '\u001e';
const EOT = '\u0004';

/**
 * The GS1 element string inside an ISO/IEC 15434 envelope of format 05 (GS1 AIs):
 * `[)>` RS `05` GS data RS EOT. Other formats (06: ASC MH10 data identifiers …) are not read.
 */
function iso15434Gs1(data: string): string {
  const format = data.slice(ISO15434.length, ISO15434.length + 3);
  if (format !== `05${GS}`) {
    throw new ColdtraceError(
      'barcode_unsupported',
      `ISO/IEC 15434 format ${JSON.stringify(format.slice(0, 2))} is not 05 (GS1)`,
    );
  }
  let inner = data.slice(ISO15434.length + 3);
  if (inner.endsWith(EOT)) inner = inner.slice(0, -1);
  if (inner.endsWith(RS)) inner = inner.slice(0, -1);
  if (inner.includes(RS)) {
    throw new ColdtraceError(
      'barcode_unsupported',
      'an ISO/IEC 15434 message with more than one format envelope',
    );
  }
  return inner;
}

export type BarcodeFormat = 'gs1-element-string' | 'gs1-digital-link' | 'hibc';

/** What a scanned code identifies, in the terms coldtrace records (docs/barcode.md). */
export interface ParsedBarcode {
  format: BarcodeFormat;
  /** The AIM symbology identifier the scanner sent (`]d2`, `]C1`, `]Q1` …), null when it sent none. */
  symbology: string | null;
  /** GTIN-14 (AI 01). */
  gtin: string | null;
  /** SSCC-18 (AI 00), a logistic unit. */
  sscc: string | null;
  /** HIBC device identifier: LIC + product number + unit of measure. */
  hibc: string | null;
  lot: string | null;
  serial: string | null;
  /** Expiry as `YYYY-MM-DD` (GS1 AI 17, HIBC expiry). */
  expiry: string | null;
  /** GS1: every element as read, in order. */
  elements?: Gs1Element[];
  /** HIBC: a lone secondary's link character (the check character of its primary). */
  hibcLink?: string;
  /** HIBC: this code's check character (a primary's links a separate secondary to it). */
  hibcCheck?: string;
}

/**
 * Parses one scanned code (GS1 element string with or without a symbology identifier, GS1 bracketed
 * text, GS1 Digital Link URI, HIBC). Pure: `ctx.now` resolves two-digit years (GenSpecs §7.12).
 * Throws `ColdtraceError` with a declared `barcode_*` / `hibc_*` code for anything it cannot read.
 */
export function parseBarcode(text: string, ctx: DateContext): ParsedBarcode {
  if (text.length === 0) throw new ColdtraceError('barcode_malformed', 'the scanned code is empty');
  if (text.length > 1024)
    throw new ColdtraceError('barcode_malformed', 'the scanned code is longer than 1024 characters');
  let symbology: string | null = null;
  let data = text;
  const sid = /^\][A-Za-z][0-9A-Za-z]/.exec(text);
  if (sid) {
    symbology = sid[0];
    data = text.slice(3);
    if (GS1_SYMBOLOGIES.has(symbology))
      return gs1('gs1-element-string', symbology, parseElementString(data, ctx), ctx);
  }
  if (isDigitalLink(data)) return gs1('gs1-digital-link', symbology, parseDigitalLink(data, ctx), ctx);
  if (data.startsWith(ISO15434))
    return gs1('gs1-element-string', symbology, parseElementString(iso15434Gs1(data), ctx), ctx);
  if (data.startsWith('+')) return hibc(symbology, data, ctx);
  if (data.startsWith('(')) return gs1('gs1-element-string', symbology, parseBracketed(data, ctx), ctx);
  // No identifier (a scanner set not to send it): GS1 data is the only other kind that starts with digits.
  if (!sid && /^\d\d/.test(data.startsWith(GS) ? data.slice(1) : data))
    return gs1('gs1-element-string', null, parseElementString(data, ctx), ctx);
  throw new ColdtraceError(
    'barcode_unsupported',
    sid
      ? `symbology ${symbology} carries no GS1, Digital Link or HIBC data`
      : 'not a GS1 element string, GS1 Digital Link URI or HIBC code',
    { symbology },
  );
}

function gs1(
  format: BarcodeFormat,
  symbology: string | null,
  elements: Gs1Element[],
  ctx: DateContext,
): ParsedBarcode {
  const seen = new Set<string>();
  for (const e of elements) {
    if (seen.has(e.ai))
      throw new ColdtraceError('barcode_malformed', `AI (${e.ai}) appears twice`, { ai: e.ai });
    seen.add(e.ai);
  }
  const get = (ai: string) => elements.find((e) => e.ai === ai)?.value ?? null;
  const exp = get('17');
  return {
    format,
    symbology,
    gtin: get('01'),
    sscc: get('00'),
    hibc: null,
    lot: get('10'),
    serial: get('21'),
    expiry: exp === null ? null : gs1Date(exp, ctx),
    elements,
  };
}

function hibc(symbology: string | null, data: string, ctx: DateContext): ParsedBarcode {
  const h = parseHibc(data, ctx);
  const out: ParsedBarcode = {
    format: 'hibc',
    symbology,
    gtin: null,
    sscc: null,
    hibc: h.di ?? null,
    lot: h.lot ?? null,
    serial: h.serial ?? null,
    expiry: h.expiry ?? null,
    hibcCheck: h.check,
  };
  if (h.link !== undefined) out.hibcLink = h.link;
  return out;
}
