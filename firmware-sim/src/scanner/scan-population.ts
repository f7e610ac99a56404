import {
  encodeDigitalLink,
  encodeElementString,
  encodeHibc,
  type Gs1Element,
  hibcCheckCharacter,
} from '@coldtrace/shared';
import { z } from 'zod';
import { seededRandom } from '../rng.js';

/**
 * What a simulated scanner is pointed at: lots of a product, each unit labelled the way its maker prints
 * it (GS1 DataMatrix, GS1-128, GS1 Digital Link QR or HIBC), and how often a read goes wrong.
 */
export const scanLotSchema = z
  .object({
    /** GTIN-14 of the product (GS1 formats) — with its check digit. */
    gtin: z
      .string()
      .regex(/^\d{14}$/)
      .optional(),
    /** HIBC labeler id + product number + unit of measure (HIBC format), e.g. `A99912345` + `1`. */
    hibc: z
      .object({
        lic: z.string().regex(/^[A-Z][A-Z0-9]{3}$/),
        pcn: z.string().regex(/^[A-Z0-9]{1,18}$/),
        uom: z.string().regex(/^\d$/),
      })
      .strict()
      .optional(),
    lot: z.string().regex(/^[!-"%-/0-9:-?A-Z_a-z]{1,20}$/),
    /** `YYYY-MM-DD`. */
    expiry: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Serial numbers `serialFrom … serialFrom + units - 1`; without it, units carry no serial (lot-level). */
    serialFrom: z.number().int().min(0).optional(),
    units: z.number().int().min(1).max(1_000_000),
    format: z.enum(['datamatrix', 'gs1-128', 'digital-link', 'hibc']).default('datamatrix'),
  })
  .strict()
  .refine((l) => (l.format === 'hibc' ? l.hibc !== undefined : l.gtin !== undefined), {
    message: 'a GS1 format needs gtin; the hibc format needs hibc',
  });
export type ScanLot = z.infer<typeof scanLotSchema>;

export const scanFaultsSchema = z
  .object({
    /** Share of reads where one digit of the GTIN (or the HIBC data) comes out wrong: the check fails. */
    misread: z.number().min(0).max(1).default(0),
    /** Share of reads cut short (the operator moved the scanner away; a damaged label). */
    partial: z.number().min(0).max(1).default(0),
  })
  .strict();
export type ScanFaults = z.infer<typeof scanFaultsSchema>;

export type ScanFault = 'none' | 'misread' | 'partial';

export interface SimulatedScan {
  /** What the scanner transmits (AIM symbology identifier first), without prefix or suffix. */
  code: string;
  fault: ScanFault;
  /** What the label says (what a correct read yields). */
  label: { gtin: string | null; hibc: string | null; lot: string; expiry: string; serial: string | null };
}

/** AIM symbology identifiers (ISO/IEC 15424) a scanner sends in front of each format. */
const SYMBOLOGY: Record<ScanLot['format'], string> = {
  datamatrix: ']d2',
  'gs1-128': ']C1',
  'digital-link': ']Q1',
  hibc: ']d1',
};

/** The code printed on one unit (GS1 General Specifications §4.15 / ANSI/HIBC 2.6), as a scanner sends it. */
export function labelCode(lot: ScanLot, serial: string | null): string {
  if (lot.format === 'hibc') {
    const h = lot.hibc!;
    return (
      SYMBOLOGY.hibc +
      encodeHibc({
        lic: h.lic,
        pcn: h.pcn,
        uom: h.uom,
        lot: lot.lot,
        expiry: lot.expiry,
        ...(serial !== null ? { serial } : {}),
      })
    );
  }
  const elements: Gs1Element[] = [
    { ai: '01', value: lot.gtin! },
    { ai: '17', value: `${lot.expiry.slice(2, 4)}${lot.expiry.slice(5, 7)}${lot.expiry.slice(8, 10)}` },
    { ai: '10', value: lot.lot },
  ];
  if (serial !== null) elements.push({ ai: '21', value: serial });
  if (lot.format === 'digital-link') return SYMBOLOGY[lot.format] + encodeDigitalLink(elements);
  return SYMBOLOGY[lot.format] + encodeElementString(elements);
}

/** One digit of the identifying data read wrong: a GS1 check digit or the HIBC mod-43 check then fails. */
function misread(code: string, format: ScanLot['format'], rand: () => number): string {
  // GTIN digits sit right after `]d2` + `01` (element string) or after `/01/` (Digital Link); HIBC data
  // starts after `]d1+`. Any single-digit change there is caught by the check (GenSpecs §7.9.1).
  const start =
    format === 'hibc'
      ? 4
      : format === 'digital-link'
        ? code.indexOf('/01/') + 4
        : SYMBOLOGY[format].length + 2;
  const span = format === 'hibc' ? 4 : 13;
  for (let tries = 0; tries < 32; tries++) {
    const at = start + Math.floor(rand() * span);
    const ch = code[at]!;
    if (!/\d/.test(ch)) continue;
    const digit = (Number(ch) + 1 + Math.floor(rand() * 9)) % 10;
    return code.slice(0, at) + String(digit) + code.slice(at + 1);
  }
  return code.slice(0, start) + (code[start] === '0' ? '1' : '0') + code.slice(start + 1);
}

/** The code cut somewhere inside its GTIN or HIBC data: never a complete, valid label. */
function partial(code: string, format: ScanLot['format'], rand: () => number): string {
  const start = format === 'digital-link' ? code.indexOf('/01/') + 4 : SYMBOLOGY[format].length + 3;
  let cut = code.slice(0, start + Math.floor(rand() * 8));
  // A cut GS1 code always lacks GTIN digits; a cut HIBC code ends on some character, which by chance (1 in
  // 43) may be the check character of what precedes it: cut once more so the read is never a valid label.
  const body = cut.slice(SYMBOLOGY.hibc.length);
  if (format === 'hibc' && body.length > 1 && hibcCheckCharacter(body.slice(0, -1)) === body.slice(-1))
    cut = cut.slice(0, -1);
  return cut;
}

/**
 * The scans of a whole population, in a reproducible random order: every unit of every lot once, each
 * read correctly, misread or cut short with the given shares (a faulty read is followed by a correct
 * re-scan of the same unit, as an operator does when the scanner does not beep).
 */
export function scanPopulation(lots: readonly ScanLot[], faults: ScanFaults, seed: number): SimulatedScan[] {
  const rand = seededRandom(seed);
  const units: Array<{ lot: ScanLot; serial: string | null }> = [];
  for (const lot of lots) {
    for (let i = 0; i < lot.units; i++)
      units.push({ lot, serial: lot.serialFrom === undefined ? null : String(lot.serialFrom + i) });
  }
  for (let i = units.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [units[i], units[j]] = [units[j]!, units[i]!];
  }
  const out: SimulatedScan[] = [];
  for (const { lot, serial } of units) {
    const code = labelCode(lot, serial);
    const label = {
      gtin: lot.gtin ?? null,
      hibc: lot.hibc ? `${lot.hibc.lic}${lot.hibc.pcn}${lot.hibc.uom}` : null,
      lot: lot.lot,
      expiry: lot.expiry,
      serial,
    };
    const r = rand();
    if (r < faults.misread) out.push({ code: misread(code, lot.format, rand), fault: 'misread', label });
    else if (r < faults.misread + faults.partial)
      out.push({ code: partial(code, lot.format, rand), fault: 'partial', label });
    out.push({ code, fault: 'none', label });
  }
  return out;
}
