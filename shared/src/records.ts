import { z } from 'zod';
import { scanSchema } from './barcode/scan-record.js';
import { epochMsSchema, idSchema, seqSchema } from './ids.js';

/**
 * Quality of a temperature reading. `ok` carries a value; every other kind is a sensor error
 * reported as a reading so that the record of monitoring stays complete (docs/architecture.md "Sensors").
 */
export const READING_QUALITIES = [
  'ok',
  'timeout',
  'crc_error',
  'modbus_exception',
  'out_of_physical_range',
  'sentinel',
  'disconnected',
  'error',
] as const;
export const readingQualitySchema = z.enum(READING_QUALITIES);
export type ReadingQuality = z.infer<typeof readingQualitySchema>;

/** Physical bounds for any temperature on the wire; a value outside is rejected, not stored. */
export const TEMP_MIN_C = -100;
export const TEMP_MAX_C = 200;

export const readingSchema = z
  .object({
    seq: seqSchema,
    sensorId: idSchema,
    /** The location the sensor was assigned to at read time. */
    locationId: idSchema,
    ts: epochMsSchema,
    /** °C; null exactly when `quality` is not `ok`. */
    tempC: z.number().min(TEMP_MIN_C).max(TEMP_MAX_C).nullable(),
    /** Relative humidity in %; optional. */
    rh: z.number().min(0).max(100).nullable().optional(),
    quality: readingQualitySchema,
  })
  .strict()
  .refine((r) => (r.quality === 'ok') === (r.tempC !== null), {
    message: 'tempC must be a number when quality is ok, and null otherwise',
    path: ['tempC'],
  });
export type Reading = z.infer<typeof readingSchema>;

/** EPC as upper-case hex, whole 16-bit words (LLRP EPCData is word-aligned), 32 to 496 bits. */
export const epcHexSchema = z
  .string()
  .regex(/^(?:[0-9A-F]{4}){2,31}$/, 'must be upper-case hex of whole 16-bit words (8-124 digits)');

export const MOVEMENT_KINDS = ['pass', 'presence'] as const;
export const DIRECTIONS = ['in', 'out'] as const;

export const movementSchema = z
  .object({
    seq: seqSchema,
    epc: epcHexSchema,
    portalId: idSchema,
    /** `pass`: the tag crossed the door (custody change); `presence`: seen on one side only. */
    kind: z.enum(MOVEMENT_KINDS),
    /** Location on the side the tag came from; null for presence. */
    from: idSchema.nullable(),
    /** Location on the side the tag went to; for presence, the side where it was seen. */
    to: idSchema,
    /** `in` = outside → inside of the portal as configured; null for presence. */
    direction: z.enum(DIRECTIONS).nullable(),
    /** Event time of the movement (the crossing for a pass, the last read for a presence). */
    ts: epochMsSchema,
    firstSeen: epochMsSchema,
    lastSeen: epochMsSchema,
    reads: z.number().int().min(1),
    /** dBm, LLRP PeakRSSI is a signed byte. */
    peakRssi: z.number().int().min(-128).max(127),
  })
  .strict()
  .refine((m) => m.firstSeen <= m.lastSeen, {
    message: 'firstSeen must not be after lastSeen',
    path: ['lastSeen'],
  })
  .refine((m) => m.firstSeen <= m.ts && m.ts <= m.lastSeen, {
    message: 'ts must lie between firstSeen and lastSeen',
    path: ['ts'],
  })
  .refine(
    (m) =>
      m.kind === 'pass' ? m.from !== null && m.direction !== null : m.from === null && m.direction === null,
    {
      message: 'a pass needs from and direction; a presence has neither',
      path: ['kind'],
    },
  );
export type Movement = z.infer<typeof movementSchema>;

/**
 * A record of the `movements` stream: an RFID portal movement (kind `pass` | `presence`) or a barcode
 * scan at a station (kind `scan`, barcode/scan-record.ts). One stream, so both share one sequence and
 * one custody (docs/architecture.md "Barcode scan stations").
 */
export const movementRecordSchema = z.discriminatedUnion('kind', [movementSchema, scanSchema]);
export type MovementRecord = z.infer<typeof movementRecordSchema>;

export const ALARM_KINDS = [
  'temperature_high',
  'temperature_low',
  'sensor_fault',
  'reader_offline',
  'buffer_high',
  'buffer_full',
  /** A reader's clock disagrees with the gateway's beyond its limit, or stepped back (docs/llrp.md). */
  'reader_clock_skew',
] as const;
export const alarmKindSchema = z.enum(ALARM_KINDS);
export type AlarmKind = z.infer<typeof alarmKindSchema>;

export const alarmSchema = z
  .object({
    seq: seqSchema,
    /** Stable id of the alarm condition, e.g. `temperature_high:coldroom-1`; raised and cleared share it. */
    alarmId: z.string().min(1).max(128),
    kind: alarmKindSchema,
    state: z.enum(['raised', 'cleared']),
    severity: z.enum(['warning', 'critical']),
    ts: epochMsSchema,
    locationId: idSchema.optional(),
    sensorId: idSchema.optional(),
    /** The deciding value, e.g. the temperature, or the buffer fill ratio. */
    value: z.number().optional(),
    message: z.string().max(500),
  })
  .strict();
export type Alarm = z.infer<typeof alarmSchema>;
