import { z } from 'zod';
import { epochMsSchema, idSchema, seqSchema } from '../ids.js';

/** What a scan station is for (docs/barcode.md "Stations"): configured per station, carried by each scan. */
export const SCAN_DIRECTIONS = ['receiving', 'dispatch', 'putaway', 'picking'] as const;
export type ScanDirection = (typeof SCAN_DIRECTIONS)[number];

const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be YYYY-MM-DD');

/**
 * One barcode scan at a station, on the `movements` stream beside the RFID passes (kind `scan`): what
 * the code identifies (GTIN, SSCC or HIBC device identifier, lot, expiry, serial as parsed at the
 * edge by `parseBarcode`) and the raw code as the scanner sent it, so nothing read is lost.
 */
export const scanSchema = z
  .object({
    seq: seqSchema,
    kind: z.literal('scan'),
    stationId: idSchema,
    /** The station's location (a dock door, receiving bay, fridge). */
    locationId: idSchema,
    direction: z.enum(SCAN_DIRECTIONS),
    /** Gateway time of the scan. */
    ts: epochMsSchema,
    /** The code as read, symbology identifier and FNC1 (GS) included. */
    code: z.string().min(1).max(1024),
    format: z.enum(['gs1-element-string', 'gs1-digital-link', 'hibc']),
    gtin: z
      .string()
      .regex(/^\d{14}$/)
      .nullable(),
    sscc: z
      .string()
      .regex(/^\d{18}$/)
      .nullable(),
    /** HIBC device identifier: LIC + product number + unit of measure. */
    hibc: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{3}[A-Z0-9]{1,13}\d$/)
      .nullable(),
    lot: z.string().min(1).max(20).nullable(),
    serial: z.string().min(1).max(20).nullable(),
    expiry: isoDate.nullable(),
  })
  .strict()
  .refine((s) => s.gtin !== null || s.sscc !== null || s.hibc !== null, {
    message: 'a scan identifies a GTIN, an SSCC or an HIBC device',
    path: ['gtin'],
  });
export type Scan = z.infer<typeof scanSchema>;
