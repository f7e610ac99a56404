import { z } from 'zod';

/**
 * How one value sits in 16-bit registers (the same vocabulary as the gateway's register maps, written
 * independently so that the simulator checks the gateway's decoder rather than mirroring it).
 */
export const simValueSpecSchema = z
  .object({
    register: z.number().int().min(0).max(65535),
    type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']),
    /** `big`: high word first (Modbus Application Protocol V1.1b3 §4.2 is silent on >16-bit values). */
    wordOrder: z.enum(['big', 'little']).default('big'),
    /** `big`: high byte first inside each register (Modbus Application Protocol V1.1b3 §4.2). */
    byteOrder: z.enum(['big', 'little']).default('big'),
    scale: z.number().default(1),
    offset: z.number().default(0),
  })
  .strict();
export type SimValueSpec = z.infer<typeof simValueSpecSchema>;

export const simRegisterMapSchema = z
  .object({
    functionCode: z.union([z.literal(3), z.literal(4)]),
    temperature: simValueSpecSchema,
    humidity: simValueSpecSchema.optional(),
  })
  .strict();
export type SimRegisterMap = z.infer<typeof simRegisterMapSchema>;
export type SimRegisterMapInput = z.input<typeof simRegisterMapSchema>;

/** XY-MD02 / SHT20 module: input registers (FC 0x04) 1 = °C × 10 (int16), 2 = %RH × 10. */
export const XY_MD02_SIM_MAP: SimRegisterMap = {
  functionCode: 4,
  temperature: { register: 1, type: 'int16', wordOrder: 'big', byteOrder: 'big', scale: 0.1, offset: 0 },
  humidity: { register: 2, type: 'uint16', wordOrder: 'big', byteOrder: 'big', scale: 0.1, offset: 0 },
};

export function registerCount(type: SimValueSpec['type']): number {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** Engineering value → raw number as the register type holds it (integers are rounded and clamped). */
export function toRaw(value: number, spec: SimValueSpec): number {
  const raw = (value - spec.offset) / spec.scale;
  if (spec.type === 'float32') return raw;
  const r = Math.round(raw);
  const [lo, hi] = RANGES[spec.type];
  return Math.min(hi, Math.max(lo, r));
}

const RANGES = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const;

/** Raw number → register words in wire order for `spec`. */
export function rawToWords(raw: number, spec: SimValueSpec): number[] {
  const b = Buffer.alloc(4);
  let words: number[];
  switch (spec.type) {
    case 'int16':
      b.writeInt16BE(raw, 0);
      words = [b.readUInt16BE(0)];
      break;
    case 'uint16':
      b.writeUInt16BE(raw, 0);
      words = [b.readUInt16BE(0)];
      break;
    case 'int32':
      b.writeInt32BE(raw, 0);
      words = [b.readUInt16BE(0), b.readUInt16BE(2)];
      break;
    case 'uint32':
      b.writeUInt32BE(raw, 0);
      words = [b.readUInt16BE(0), b.readUInt16BE(2)];
      break;
    case 'float32':
      b.writeFloatBE(raw, 0);
      words = [b.readUInt16BE(0), b.readUInt16BE(2)];
      break;
  }
  if (spec.wordOrder === 'little') words.reverse();
  if (spec.byteOrder === 'little') words = words.map((w) => ((w & 0xff) << 8) | (w >>> 8));
  return words;
}
