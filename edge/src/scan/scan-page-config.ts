import { z } from 'zod';
import { scanStationConfigSchema } from './scan-config.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** A station fed by the scan page: a keyboard-wedge handheld typing into a browser at that station. */
export const pageStationConfigSchema = scanStationConfigSchema
  .pick({
    id: true,
    locationId: true,
    direction: true,
    symbologyId: true,
    fnc1As: true,
    maxLength: true,
    hibcPairMs: true,
  })
  .strict();

/**
 * The gateway's local scan page (docs/barcode.md "Scan page"). On the loopback interface by default (a
 * kiosk browser on the gateway); any other address needs a `token`, which every scan must carry.
 */
export const scanPageConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** Bearer token for POSTed scans (open the page as `/scan/stations/<id>#token=<token>`). */
    token: z.string().min(16).max(256).optional(),
    stations: z.array(pageStationConfigSchema).min(1),
  })
  .strict()
  .refine((p) => LOOPBACK.has(p.host) || p.token !== undefined, {
    message: 'a scan page on a non-loopback address needs a token (16 characters or more)',
    path: ['token'],
  })
  .refine((p) => new Set(p.stations.map((s) => s.id)).size === p.stations.length, {
    message: 'a scan page station id is listed twice',
    path: ['stations'],
  });
export type ScanPageConfig = z.infer<typeof scanPageConfigSchema>;
export type ScanPageConfigInput = z.input<typeof scanPageConfigSchema>;
