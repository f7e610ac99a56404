import { idSchema, SCAN_DIRECTIONS } from '@coldtrace/shared';
import { z } from 'zod';

/**
 * One barcode scan station: a serial or USB-CDC scanner at a place with a purpose (docs/barcode.md
 * "Stations"). `prefix` and `suffix` are what the scanner is programmed to send around each code.
 */
export const scanStationConfigSchema = z
  .object({
    id: idSchema,
    /** Serial device, e.g. `/dev/ttyACM0` or a `/dev/serial/by-id/…` link. */
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    /** Where the station is: every scan is recorded at this location. */
    locationId: idSchema,
    direction: z.enum(SCAN_DIRECTIONS),
    /** Characters the scanner sends before each code (e.g. STX `\u0002`); removed when present. */
    prefix: z.string().max(8).default(''),
    /** What ends a code; default: CR, LF or CR LF. */
    suffix: z.string().min(1).max(8).optional(),
    /**
     * `auto`: a code may carry an AIM symbology identifier (`]d2`, `]C1` …) or not; `required`: a code
     * without one is refused (set when the scanner is programmed to send it, so that GS1 data is never
     * guessed from digits).
     */
    symbologyId: z.enum(['auto', 'required']).default('auto'),
    /** A character the scanner sends in place of FNC1/GS (a scanner that cannot send 0x1D). */
    fnc1As: z
      .string()
      .length(1)
      .refine((c) => !/[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]/.test(c), 'must not be a character GS1 data can hold')
      .optional(),
    /** Longest code accepted; a longer line is refused (a stuck or misconfigured scanner). */
    maxLength: z.number().int().min(16).max(1024).default(1024),
    /** How long a lone HIBC primary waits for its secondary scan (two-symbol labels). */
    hibcPairMs: z.number().int().min(0).default(60_000),
    /** Wait before opening the device again after it closed or failed to open. */
    reopenMs: z.number().int().min(50).default(2_000),
  })
  .strict();
export type ScanStationConfig = z.infer<typeof scanStationConfigSchema>;
export type ScanStationConfigInput = z.input<typeof scanStationConfigSchema>;
