import { ColdtraceError } from '../errors.js';
import { type DateContext, daysInMonth, gs1Year, isoDate } from './gs1-date.js';

/** The Code 39 character values the HIBC mod-43 check character is computed over (ANSI/HIBC 2.6 §4.2). */
const MOD43 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';

/** The mod-43 check character of `data` (every character from the leading `+` on). */
export function hibcCheckCharacter(data: string): string {
  let sum = 0;
  for (const c of data) {
    const v = MOD43.indexOf(c);
    if (v < 0)
      throw new ColdtraceError(
        'hibc_malformed',
        `character ${JSON.stringify(c)} is not allowed in HIBC data`,
      );
    sum += v;
  }
  return MOD43[sum % 43]!;
}

/**
 * An HIBC device identifier (the UDI-DI of an HIBC label): Labeler Identification Code (4 characters, the
 * first a letter), the labeler's product number (1-13 characters) and the unit of measure (one digit),
 * as the primary data structure carries them after its `+` (ANSI/HIBC 2.6 §2.1).
 */
export const HIBC_DEVICE_IDENTIFIER = /^([A-Z][A-Z0-9]{3})([A-Z0-9]{1,13})(\d)$/;

export interface HibcCode {
  /** Labeler Identification Code (4 characters, the first a letter); absent on a lone secondary. */
  lic?: string;
  /** Labeler's product or catalogue number (1-13 characters). */
  pcn?: string;
  /** Unit of measure identifier (one digit: packaging level). */
  uom?: string;
  /** The UDI device identifier: LIC + PCN + U/M. */
  di?: string;
  /** A lone secondary's link character: the check character of the primary it belongs to. */
  link?: string;
  /** The check character of this code (for a primary: what a separate secondary links with). */
  check: string;
  lot?: string;
  serial?: string;
  /** `YYYY-MM-DD` (a month-only date is the month's last day). */
  expiry?: string;
  manufactured?: string;
  quantity?: number;
}

/**
 * Parses an HIBC Supplier Labeling code (ANSI/HIBC 2.6): a primary data structure, a lone secondary
 * one, or both concatenated with `/`. The mod-43 check character is verified. Throws
 * `hibc_check_character` or `hibc_malformed` (`barcode_invalid_date` for an impossible date).
 */
export function parseHibc(text: string, ctx: DateContext): HibcCode {
  if (!text.startsWith('+') || text.length < 3) {
    throw new ColdtraceError(
      'hibc_malformed',
      'an HIBC code starts with "+" and has data and a check character',
    );
  }
  if (text[1] === '/') {
    throw new ColdtraceError(
      'hibc_malformed',
      'an HIBC Provider Applications code (+/) is not a supplier label',
    );
  }
  const body = text.slice(0, -1);
  const check = text.at(-1)!;
  const expected = hibcCheckCharacter(body);
  if (check !== expected) {
    throw new ColdtraceError(
      'hibc_check_character',
      `HIBC check character is ${JSON.stringify(check)}, expected ${JSON.stringify(expected)}`,
    );
  }
  if (/^[A-Z]$/.test(body[1]!)) {
    const slash = body.indexOf('/');
    const primary = slash < 0 ? body : body.slice(0, slash);
    // body starts with '+' (checked above): the device identifier follows it.
    const m = HIBC_DEVICE_IDENTIFIER.exec(primary.slice(1));
    if (!m) {
      throw new ColdtraceError(
        'hibc_malformed',
        `HIBC primary data ${JSON.stringify(primary)} is not +LIC(4) product(1-13) unit-of-measure(digit)`,
      );
    }
    const out: HibcCode = { lic: m[1]!, pcn: m[2]!, uom: m[3]!, di: `${m[1]}${m[2]}${m[3]}`, check };
    return slash < 0 ? out : { ...out, ...secondary(body.slice(slash + 1), ctx) };
  }
  // A lone secondary: its last data character links it to the primary's check character.
  if (body.length < 3) throw new ColdtraceError('hibc_malformed', 'HIBC secondary data is empty');
  return { ...secondary(body.slice(1, -1), ctx), link: body.at(-1)!, check };
}

type Secondary = Pick<HibcCode, 'lot' | 'serial' | 'expiry' | 'manufactured' | 'quantity'>;

/** Secondary data without its flag, link and check characters: `R*Q*D*B*` then `/`-led supplements. */
function secondary(data: string, ctx: DateContext): Secondary {
  const [main = '', ...supplements] = data.split('/');
  const out: Secondary = {};
  let rest: string;
  let serial = false;
  if (main.startsWith('$$')) {
    rest = main.slice(2);
    if (rest.startsWith('+')) {
      serial = true;
      rest = rest.slice(1);
    }
    if (rest[0] === '8' || rest[0] === '9') {
      const n = rest[0] === '8' ? 2 : 5;
      const q = rest.slice(1, 1 + n);
      if (!/^\d+$/.test(q) || q.length !== n)
        throw new ColdtraceError('hibc_malformed', `HIBC quantity ${JSON.stringify(q)} is not ${n} digits`);
      out.quantity = Number(q);
      rest = rest.slice(1 + n);
    }
    const date = dated(rest, ctx);
    if (date.expiry) out.expiry = date.expiry;
    rest = date.rest;
  } else if (main.startsWith('$')) {
    rest = main.slice(1);
    if (rest.startsWith('+')) {
      serial = true;
      rest = rest.slice(1);
    }
  } else if (/^\d{5}/.test(main)) {
    out.expiry = julian(main.slice(0, 5), ctx);
    rest = main.slice(5);
  } else {
    throw new ColdtraceError(
      'hibc_malformed',
      `HIBC secondary data ${JSON.stringify(main)} starts with no known flag`,
    );
  }
  if (rest.length > 18)
    throw new ColdtraceError('hibc_malformed', `HIBC lot/serial ${JSON.stringify(rest)} is longer than 18`);
  if (rest) out[serial ? 'serial' : 'lot'] = rest;
  for (const s of supplements) {
    const [, di, v] = /^(14D|16D|S|Q)(.+)$/.exec(s) ?? [];
    if (di === '14D' && /^\d{8}$/.test(v!)) out.expiry = yyyymmdd(v!);
    else if (di === '16D' && /^\d{8}$/.test(v!)) out.manufactured = yyyymmdd(v!);
    else if (di === 'S' && v!.length <= 18) out.serial = v!;
    else if (di === 'Q' && /^\d{1,5}$/.test(v!)) out.quantity = Number(v);
    // Other supplemental data identifiers stay only in the raw code.
  }
  return out;
}

const yy = (s: string, ctx: DateContext) => gs1Year(Number(s), ctx.now);

/** The date of a `$$` secondary: its format flag, then the date, then the lot (ANSI/HIBC 2.6 §2.2.2). */
function dated(s: string, ctx: DateContext): { expiry?: string; rest: string } {
  const f = s[0];
  const need = (n: number) => {
    const d = s.slice(1, 1 + n);
    if (!/^\d+$/.test(d) || d.length !== n)
      throw new ColdtraceError('hibc_malformed', `HIBC date ${JSON.stringify(d)} needs ${n} digits`);
    return d;
  };
  switch (f) {
    case '0':
    case '1': {
      const d = s.slice(0, 4); // MMYY, no flag
      if (!/^\d{4}$/.test(d))
        throw new ColdtraceError('hibc_malformed', `HIBC date ${JSON.stringify(d)} is not MMYY`);
      return { expiry: ymd(yy(d.slice(2), ctx), Number(d.slice(0, 2)), 0), rest: s.slice(4) };
    }
    case '2': {
      const d = need(6); // MMDDYY
      return {
        expiry: ymd(yy(d.slice(4), ctx), Number(d.slice(0, 2)), Number(d.slice(2, 4))),
        rest: s.slice(7),
      };
    }
    case '3':
    case '4': {
      const d = need(f === '3' ? 6 : 8); // YYMMDD[HH]
      return {
        expiry: ymd(yy(d.slice(0, 2), ctx), Number(d.slice(2, 4)), Number(d.slice(4, 6))),
        rest: s.slice(1 + d.length),
      };
    }
    case '5':
    case '6': {
      const d = need(f === '5' ? 5 : 7); // YYJJJ[HH]
      return { expiry: julian(d.slice(0, 5), ctx), rest: s.slice(1 + d.length) };
    }
    case '7':
      return { rest: s.slice(1) };
    default:
      throw new ColdtraceError(
        'hibc_malformed',
        `HIBC date format flag ${JSON.stringify(f ?? '')} is not 0-7`,
      );
  }
}

/** day 0 = the month's last day (a month-only date). */
function ymd(year: number, month: number, day: number): string {
  if (month < 1 || month > 12 || day > daysInMonth(year, month) || (day < 1 && day !== 0)) {
    throw new ColdtraceError('barcode_invalid_date', `HIBC date ${year}-${month}-${day} does not exist`);
  }
  return isoDate(year, month, day === 0 ? daysInMonth(year, month) : day);
}

function julian(yyjjj: string, ctx: DateContext): string {
  const year = yy(yyjjj.slice(0, 2), ctx);
  const day = Number(yyjjj.slice(2));
  const days = daysInMonth(year, 2) === 29 ? 366 : 365;
  if (day < 1 || day > days)
    throw new ColdtraceError('barcode_invalid_date', `HIBC Julian day ${day} of ${year} does not exist`);
  const d = new Date(Date.UTC(year, 0, day));
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function yyyymmdd(s: string): string {
  return ymd(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)) || -1);
}

export interface HibcFields {
  lic: string;
  pcn: string;
  uom: string;
  lot?: string;
  /** `YYYY-MM-DD`, written as `$$3YYMMDD`. */
  expiry?: string;
  serial?: string;
}

/** A concatenated HIBC code (`+LIC PCN U/$$3YYMMDD LOT/S serial C`), or a primary alone. */
export function encodeHibc(f: HibcFields): string {
  let body = `+${f.lic}${f.pcn}${f.uom}`;
  if (f.lot !== undefined || f.expiry !== undefined || f.serial !== undefined) {
    const date = f.expiry ? `$$3${f.expiry.slice(2, 4)}${f.expiry.slice(5, 7)}${f.expiry.slice(8, 10)}` : '$';
    body += `/${date}${f.lot ?? ''}${f.serial !== undefined ? `/S${f.serial}` : ''}`;
  }
  return body + hibcCheckCharacter(body);
}
