import type { RegisterMap, ValueSpec } from './modbus-config.js';

export function wordCount(type: ValueSpec['type']): number {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** The contiguous register span one read must cover, or two spans when the values are far apart. */
export function readPlan(map: RegisterMap): Array<{ start: number; count: number }> {
  const specs = [map.temperature, ...(map.humidity ? [map.humidity] : [])];
  const start = Math.min(...specs.map((s) => s.register));
  const end = Math.max(...specs.map((s) => s.register + wordCount(s.type)));
  // One request is cheaper than two while the span stays small (V1.1b3 §6.4 allows 125).
  if (end - start <= 16) return [{ start, count: end - start }];
  return specs.map((s) => ({ start: s.register, count: wordCount(s.type) }));
}

export type Decoded = { kind: 'value'; value: number } | { kind: 'sentinel'; raw: number };

const DEFAULT_SENTINELS: Record<ValueSpec['type'], number[]> = {
  int16: [0x7fff, -0x8000],
  uint16: [0xffff],
  int32: [0x7fffffff, -0x80000000],
  uint32: [0xffffffff],
  float32: [],
};

/**
 * Decode one value from the registers read (`words` indexed by register address). Registers are
 * big-endian 16-bit words (Modbus Application Protocol V1.1b3 §4.2); word and byte order of wider
 * values follow the map.
 */
export function decodeValue(spec: ValueSpec, words: ReadonlyMap<number, number>): Decoded {
  const n = wordCount(spec.type);
  let ws: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = words.get(spec.register + i);
    if (w === undefined) throw new RangeError(`register ${spec.register + i} was not read`);
    ws.push(w);
  }
  if (spec.byteOrder === 'little') ws = ws.map((w) => ((w & 0xff) << 8) | (w >>> 8));
  if (spec.wordOrder === 'little') ws.reverse();
  const b = Buffer.alloc(4);
  ws.forEach((w, i) => {
    b.writeUInt16BE(w, 2 * i);
  });
  let raw: number;
  switch (spec.type) {
    case 'int16':
      raw = b.readInt16BE(0);
      break;
    case 'uint16':
      raw = b.readUInt16BE(0);
      break;
    case 'int32':
      raw = b.readInt32BE(0);
      break;
    case 'uint32':
      raw = b.readUInt32BE(0);
      break;
    case 'float32':
      raw = b.readFloatBE(0);
      break;
  }
  if (!Number.isFinite(raw) || (spec.sentinels ?? DEFAULT_SENTINELS[spec.type]).includes(raw)) {
    return { kind: 'sentinel', raw };
  }
  return { kind: 'value', value: raw * spec.scale + spec.offset };
}

/** Rounds away binary noise of scaled values (e.g. 0.1 × 3 = 0.30000000000000004). */
export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
