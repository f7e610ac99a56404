import { idSchema, TEMP_MAX_C, TEMP_MIN_C } from '@coldtrace/shared';
import { z } from 'zod';

/** One value in 16-bit registers. Modbus Application Protocol V1.1b3 §4.2: registers are big-endian. */
export const valueSpecSchema = z
  .object({
    /** Zero-based register address as sent on the wire (PDU address). */
    register: z.number().int().min(0).max(65535),
    type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']),
    /** 32-bit values: `big` = high word in the lower register ("ABCD"), `little` = word-swapped ("CDAB"). */
    wordOrder: z.enum(['big', 'little']).default('big'),
    /** Bytes inside each register: `big` as the spec says, `little` byte-swapped ("BADC"). */
    byteOrder: z.enum(['big', 'little']).default('big'),
    scale: z
      .number()
      .refine((v) => v !== 0, 'scale must not be 0')
      .default(1),
    offset: z.number().default(0),
    /** Raw values (before scale) that mean "no measurement"; defaults per type (e.g. 0x7FFF/-32768 for int16). */
    sentinels: z.array(z.number()).max(16).optional(),
  })
  .strict();
export type ValueSpec = z.infer<typeof valueSpecSchema>;

export const registerMapSchema = z
  .object({
    /** 0x03 Read Holding Registers or 0x04 Read Input Registers (V1.1b3 §6.3, §6.4). */
    functionCode: z.union([z.literal(3), z.literal(4)]),
    temperature: valueSpecSchema,
    humidity: valueSpecSchema.optional(),
  })
  .strict();
export type RegisterMap = z.infer<typeof registerMapSchema>;

/** XY-MD02 / SHT20 module: input registers (FC 0x04) 1 = °C × 0.1 (int16), 2 = %RH × 0.1. */
export const XY_MD02_MAP: RegisterMap = {
  functionCode: 4,
  temperature: { register: 1, type: 'int16', wordOrder: 'big', byteOrder: 'big', scale: 0.1, offset: 0 },
  humidity: { register: 2, type: 'uint16', wordOrder: 'big', byteOrder: 'big', scale: 0.1, offset: 0 },
};
/** SHT20 datasheet operating range. */
export const XY_MD02_RANGE_C = { minC: -40, maxC: 125 };

const physicalRangeSchema = z
  .object({ minC: z.number().min(TEMP_MIN_C), maxC: z.number().max(TEMP_MAX_C) })
  .strict()
  .refine((r) => r.minC < r.maxC, 'minC must be below maxC');

export const modbusSensorConfigSchema = z
  .object({
    id: idSchema,
    /** Unit address, Modbus over serial line V1.02 §2.2: 1..247. */
    address: z.number().int().min(1).max(247),
    locationId: idSchema,
    pollMs: z.number().int().min(10).max(86_400_000).default(10_000),
    profile: z.union([z.literal('xy-md02'), registerMapSchema]).default('xy-md02'),
    /** Added to every temperature (after scale and offset). */
    calibrationOffsetC: z.number().min(-20).max(20).default(0),
    /** Readings outside are `out_of_physical_range`; defaults to the XY-MD02 range, else the wire bounds. */
    physicalRangeC: physicalRangeSchema.optional(),
  })
  .strict();
export type ModbusSensorConfig = z.infer<typeof modbusSensorConfigSchema>;

export const modbusBusConfigSchema = z
  .object({
    id: idSchema,
    /** Serial device, e.g. /dev/ttyUSB0 or a simulator's pty symlink. */
    path: z.string().min(1),
    baudRate: z.number().int().min(1200).max(921_600).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    dataBits: z.literal(8).default(8),
    /** Response timeout of one request. */
    timeoutMs: z.number().int().min(10).max(10_000).default(500),
    /**
     * What times `timeoutMs`: `real`, modbus-serial's own timer; `gateway`, the gateway's clock (the
     * same in production; on a scenario's discrete-event clock, a silent device times out at a scenario
     * instant instead of after real time).
     */
    timeoutClock: z.enum(['real', 'gateway']).default('real'),
    /**
     * After a request to a sensor timed out, how long its address is not asked again (default: `timeoutMs`).
     * RTU frames carry no transaction id (Modbus over Serial Line V1.02 §2.5.1): an answer that comes
     * after the timeout can only be told from the answer to a new request while none is pending, so a
     * late answer inside this window is discarded and counted, never taken for the retry's.
     */
    lateReplyWindowMs: z.number().int().min(0).max(60_000).optional(),
    /** Extra attempts after a timeout or CRC error, only while the sensor was answering (no flooding). */
    retries: z.number().int().min(0).max(5).default(1),
    /** Bus silence before a retry and between any two requests. */
    retryDelayMs: z.number().int().min(0).max(5000).default(20),
    /**
     * Reopen backoff of a vanished or unopenable device: doubles from min to max, so a device that
     * returns is open again within `reopenMaxMs`.
     */
    reopenMinMs: z.number().int().min(10).default(1000),
    reopenMaxMs: z.number().int().min(10).default(5000),
    /** Also reopen at once when the device path appears again (inotify on its directory, where possible). */
    watchPath: z.boolean().default(true),
    /** Consecutive error readings after which a sensor's state goes from `degraded` to `failed`. */
    failAfter: z.number().int().min(1).max(1000).default(3),
    sensors: z.array(modbusSensorConfigSchema).min(1).max(247),
  })
  .strict()
  .refine((b) => new Set(b.sensors.map((s) => s.address)).size === b.sensors.length, {
    message: 'two sensors on one bus share an address',
    path: ['sensors'],
  })
  .refine((b) => new Set(b.sensors.map((s) => s.id)).size === b.sensors.length, {
    message: 'two sensors on one bus share an id',
    path: ['sensors'],
  })
  .refine((b) => b.reopenMinMs <= b.reopenMaxMs, {
    message: 'reopenMinMs must be ≤ reopenMaxMs',
    path: ['reopenMinMs'],
  });
export type ModbusBusConfig = z.infer<typeof modbusBusConfigSchema>;
export type ModbusBusConfigInput = z.input<typeof modbusBusConfigSchema>;

export function resolveMap(sensor: ModbusSensorConfig): RegisterMap {
  return sensor.profile === 'xy-md02' ? XY_MD02_MAP : sensor.profile;
}

export function resolveRange(sensor: ModbusSensorConfig): { minC: number; maxC: number } {
  if (sensor.physicalRangeC) return sensor.physicalRangeC;
  return sensor.profile === 'xy-md02' ? XY_MD02_RANGE_C : { minC: TEMP_MIN_C, maxC: TEMP_MAX_C };
}
