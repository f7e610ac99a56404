import { ColdtraceError } from '../errors.js';
import { gs1CheckDigitOk } from './gs1-check-digit.js';
import { type DateContext, gs1Date } from './gs1-date.js';

/**
 * The GS1 Application Identifiers coldtrace reads (GS1 General Specifications §3.2). `length` is the
 * data length of a fixed-length AI; `max` the largest of a variable-length one. `predefined` marks the
 * AIs of the predefined-length table (GenSpecs Figure 7.8.5-2): they never need an FNC1 separator.
 */
export interface AiSpec {
  ai: string;
  title: string;
  /** `N`: digits only; `X`: GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1). */
  charset: 'N' | 'X';
  length?: number;
  max?: number;
  predefined?: boolean;
  checkDigit?: boolean;
  /** YYMMDD, DD = 00 allowed (GenSpecs §7.12). */
  date?: boolean;
}

const fixed = (ai: string, title: string, length: number, extra: Partial<AiSpec> = {}): AiSpec => ({
  ai,
  title,
  charset: 'N',
  length,
  ...extra,
});
const variable = (ai: string, title: string, max: number, charset: 'N' | 'X' = 'X'): AiSpec => ({
  ai,
  title,
  charset,
  max,
});

const SPECS: AiSpec[] = [
  fixed('00', 'SSCC', 18, { predefined: true, checkDigit: true }),
  fixed('01', 'GTIN', 14, { predefined: true, checkDigit: true }),
  fixed('02', 'CONTENT', 14, { predefined: true, checkDigit: true }),
  variable('10', 'BATCH/LOT', 20),
  fixed('11', 'PROD DATE', 6, { predefined: true, date: true }),
  fixed('12', 'DUE DATE', 6, { predefined: true, date: true }),
  fixed('13', 'PACK DATE', 6, { predefined: true, date: true }),
  fixed('15', 'BEST BEFORE', 6, { predefined: true, date: true }),
  fixed('16', 'SELL BY', 6, { predefined: true, date: true }),
  fixed('17', 'USE BY OR EXPIRY', 6, { predefined: true, date: true }),
  fixed('20', 'VARIANT', 2, { predefined: true }),
  variable('21', 'SERIAL', 20),
  variable('22', 'CPV', 20),
  variable('235', 'TPX', 28),
  variable('240', 'ADDITIONAL ID', 30),
  variable('241', 'CUST. PART No.', 30),
  variable('250', 'SECONDARY SERIAL', 30),
  variable('251', 'REF. TO SOURCE', 30),
  variable('30', 'VAR. COUNT', 8, 'N'),
  variable('37', 'COUNT', 8, 'N'),
  variable('400', 'ORDER NUMBER', 30),
  variable('401', 'GINC', 30),
  fixed('402', 'GSIN', 17, { checkDigit: true }),
  variable('403', 'ROUTE', 30),
  ...['410', '411', '412', '413', '414', '415', '416', '417'].map((ai) =>
    fixed(ai, 'GLN', 13, { predefined: true, checkDigit: true }),
  ),
  variable('420', 'SHIP TO POST', 20),
  fixed('422', 'ORIGIN', 3),
  fixed('7003', 'EXPIRY TIME', 10),
  variable('7240', 'PROTOCOL', 20),
  variable('8004', 'GIAI', 30),
  variable('8020', 'REF No.', 25),
  variable('90', 'INTERNAL', 30),
  ...['91', '92', '93', '94', '95', '96', '97', '98', '99'].map((ai) => variable(ai, 'INTERNAL', 90)),
];
// Trade measures 310n..369n (GenSpecs §3.6): N6 with the decimal point position n, predefined length.
for (let p = 310; p <= 369; p++) {
  for (let n = 0; n <= 5; n++) SPECS.push(fixed(`${p}${n}`, 'MEASURE', 6, { predefined: true }));
}

// Price 392n (GenSpecs §3.6.36): N..15 with the decimal point position n.
for (let n = 0; n <= 9; n++) SPECS.push(variable(`392${n}`, 'PRICE', 15, 'N'));

const BY_AI = new Map(SPECS.map((s) => [s.ai, s]));

/** The AI at the start of `text` (2, 3 or 4 digits: the table has no AI that is a prefix of another). */
export function aiAt(text: string, at: number): AiSpec | undefined {
  for (const len of [2, 3, 4]) {
    const spec = BY_AI.get(text.slice(at, at + len));
    if (spec) return spec;
  }
  return undefined;
}

export function aiSpec(ai: string): AiSpec | undefined {
  return BY_AI.get(ai);
}

/** GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1). */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;

/**
 * Checks one element's value against its AI: length, character set, check digit, date. Returns the
 * value (unchanged); throws `barcode_malformed`, `barcode_check_digit` or `barcode_invalid_date`.
 */
export function checkAiValue(spec: AiSpec, value: string, ctx: DateContext): string {
  const where = `AI (${spec.ai}) ${spec.title}`;
  if (spec.length !== undefined && value.length !== spec.length) {
    throw new ColdtraceError(
      'barcode_malformed',
      `${where} needs ${spec.length} characters, got ${value.length}`,
      {
        ai: spec.ai,
      },
    );
  }
  if (spec.max !== undefined && (value.length < 1 || value.length > spec.max)) {
    throw new ColdtraceError(
      'barcode_malformed',
      `${where} needs 1 to ${spec.max} characters, got ${value.length}`,
      {
        ai: spec.ai,
      },
    );
  }
  if (spec.charset === 'N' ? !/^\d*$/.test(value) : !CSET82.test(value)) {
    throw new ColdtraceError(
      'barcode_malformed',
      `${where} has a character outside its set (${spec.charset === 'N' ? 'digits' : 'GS1 character set 82'}): ${JSON.stringify(value)}`,
      { ai: spec.ai },
    );
  }
  if (spec.checkDigit && !gs1CheckDigitOk(value)) {
    throw new ColdtraceError('barcode_check_digit', `${where} ${value} has a wrong check digit`, {
      ai: spec.ai,
    });
  }
  if (spec.date) gs1Date(value, ctx, where);
  return value;
}
