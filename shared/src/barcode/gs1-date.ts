import { ColdtraceError } from '../errors.js';

/** What a two-digit year is resolved against: the time of the scan (epoch ms, UTC). */
export interface DateContext {
  now: number;
}

/**
 * The four-digit year of YY per GenSpecs §7.12: the difference between YY and the current year's last
 * two digits decides the century (51..99: the previous one; -99..-50: the next one; else the current).
 */
export function gs1Year(yy: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  const century = Math.floor(current / 100) * 100;
  const diff = yy - (current % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff <= -50) return century + 100 + yy;
  return century + yy;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export const isoDate = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/**
 * A GS1 YYMMDD date as `YYYY-MM-DD`. DD = 00 means the last day of the month (GenSpecs §7.12).
 * Throws `barcode_invalid_date` for an impossible month or day.
 */
export function gs1Date(yymmdd: string, ctx: DateContext, where = 'date'): string {
  const m = /^(\d\d)(\d\d)(\d\d)$/.exec(yymmdd);
  if (!m)
    throw new ColdtraceError('barcode_invalid_date', `${where}: ${JSON.stringify(yymmdd)} is not YYMMDD`);
  const year = gs1Year(Number(m[1]), ctx.now);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) {
    throw new ColdtraceError('barcode_invalid_date', `${where}: month ${m[2]} in ${yymmdd} does not exist`);
  }
  const last = daysInMonth(year, month);
  if (day > last) {
    throw new ColdtraceError('barcode_invalid_date', `${where}: day ${m[3]} in ${yymmdd} does not exist`);
  }
  return isoDate(year, month, day === 0 ? last : day);
}
