import { z } from 'zod';
import { SCAN_DIRECTIONS } from './barcode/scan-record.js';
import { epochMsSchema, idSchema } from './ids.js';
import { readingQualitySchema } from './records.js';

export const STREAMS = ['readings', 'movements', 'alarms'] as const;
export const streamSchema = z.enum(STREAMS);
export type Stream = z.infer<typeof streamSchema>;

export const backlogSchema = z
  .object({
    records: z.number().int().min(0),
    bytes: z.number().int().min(0),
    /** Event time of the oldest unacknowledged record, null when empty. */
    oldestTs: epochMsSchema.nullable(),
    maxBytes: z.number().int().min(0).optional(),
    /** Records refused because the buffer was full (never silently dropped). */
    refused: z.number().int().min(0).optional(),
    /** Readings thinned to stay within maxBytes. */
    thinned: z.number().int().min(0).optional(),
    /** Last sequence number assigned per stream. */
    lastSeq: z.partialRecord(streamSchema, z.number().int().min(0)).optional(),
  })
  .strict();

export const readerHealthSchema = z
  .object({
    readerId: idSchema,
    portalId: idSchema.optional(),
    state: z.enum(['connecting', 'connected', 'disconnected', 'error']),
    since: epochMsSchema.optional(),
    lastError: z.string().max(500).optional(),
  })
  .strict();

export const sensorHealthSchema = z
  .object({
    sensorId: idSchema,
    locationId: idSchema.optional(),
    state: z.enum(['ok', 'degraded', 'failed', 'unknown']),
    quality: readingQualitySchema.optional(),
    lastReadingTs: epochMsSchema.optional(),
    consecutiveErrors: z.number().int().min(0).optional(),
    lastError: z.string().max(500).optional(),
    /** Present (true) while the sensor's poll period cannot be kept: its bus needs longer to go round. */
    pollOverrun: z.literal(true).optional(),
  })
  .strict();

/**
 * A barcode scan station (docs/barcode.md "Stations"): a serial scanner (`serial`) or a station of the
 * gateway's scan page (`page`). `open`: its device is open, or the page serving it; `error`: its device
 * failed to open or to read (`lastError` says why); `closed`: neither (stopped, device not there yet).
 */
export const scanStationHealthSchema = z
  .object({
    stationId: idSchema,
    source: z.enum(['serial', 'page']),
    locationId: idSchema,
    direction: z.enum(SCAN_DIRECTIONS),
    state: z.enum(['open', 'closed', 'error']),
    /** Gateway time of the last code turned into a scan record. */
    lastScanTs: epochMsSchema.optional(),
    /** Scans handed to the buffer since the gateway started. */
    scans: z.number().int().min(0),
    /** Codes refused since the gateway started, by error code (barcode_*, hibc_*). */
    refused: z
      .record(z.string().regex(/^[a-z0-9_]{1,64}$/), z.number().int().min(0))
      .refine((r) => Object.keys(r).length <= 64, 'at most 64 refusal codes'),
    /** The last device error or refused code. */
    lastError: z.string().max(500).optional(),
  })
  .strict();

/** The gateway's local scan page (docs/barcode.md "Scan page"). */
export const scanPageHealthSchema = z
  .object({
    state: z.enum(['serving', 'stopped', 'error']),
    host: z.string().max(255),
    /** The port it listens on while serving. */
    port: z.number().int().min(1).max(65535).optional(),
    lastError: z.string().max(500).optional(),
  })
  .strict();

export const statusSchema = z
  .object({
    gatewayId: idSchema,
    state: z.enum(['online', 'offline']),
    ts: epochMsSchema,
    /** Set on the Last Will: the broker published it because the gateway vanished. */
    reason: z.enum(['started', 'periodic', 'shutdown', 'last_will']).optional(),
    version: z.string().max(64).optional(),
    startedAt: epochMsSchema.optional(),
    backlog: backlogSchema.optional(),
    readers: z.array(readerHealthSchema).max(256).optional(),
    sensors: z.array(sensorHealthSchema).max(1024).optional(),
    /** alarmIds currently raised at the edge. */
    activeAlarms: z.array(z.string().max(128)).max(1024).optional(),
    /** Absent when the gateway has no scan station (and from gateways older than scan stations in status). */
    scanStations: z.array(scanStationHealthSchema).max(256).optional(),
    scanPage: scanPageHealthSchema.optional(),
  })
  .strict();
export type GatewayStatus = z.infer<typeof statusSchema>;
export type Backlog = z.infer<typeof backlogSchema>;
export type ReaderHealth = z.infer<typeof readerHealthSchema>;
export type SensorHealth = z.infer<typeof sensorHealthSchema>;
export type ScanStationHealth = z.infer<typeof scanStationHealthSchema>;
export type ScanPageHealth = z.infer<typeof scanPageHealthSchema>;
