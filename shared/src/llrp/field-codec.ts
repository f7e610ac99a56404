import { ColdtraceError } from '../errors.js';
import type { FieldSpec } from './schema.js';

/** A decoded field value. u64 fields are bigint; u1v fields are `{ bits, data }`. */
export type LlrpValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | readonly number[]
  | { readonly bits: number; readonly data: Uint8Array };

export type LlrpFields = Record<string, LlrpValue>;

export function malformed(message: string, details?: Record<string, unknown>): ColdtraceError {
  return new ColdtraceError('llrp_malformed', message, details);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------- decode

/**
 * Decodes the fixed fields of a message or parameter (LLRP 1.0.1 §16.1 field types) from
 * `buf[start, end)` into `out`; returns the offset after the last field. A field running past `end`
 * throws `llrp_malformed` naming the field and its index (the FieldNum of a FieldError, §16.2.8.1).
 */
export function decodeFields(
  buf: Buffer,
  start: number,
  end: number,
  specs: readonly FieldSpec[],
  out: LlrpFields,
): number {
  let p = start;
  let fieldNum = 0;
  const need = (n: number, what: string) => {
    if (p + n > end)
      throw malformed(`field ${what} runs past its parameter (${p + n} > ${end})`, {
        offset: p,
        field: what,
        fieldNum,
      });
  };
  for (const spec of specs) {
    if ('packed' in spec) {
      const bytes = spec.size / 8;
      need(bytes, spec.packed[0]?.name ?? 'bits');
      const v = bytes === 1 ? buf[p]! : buf.readUInt16BE(p);
      let shift = spec.size;
      for (const b of spec.packed) {
        shift -= b.bits;
        const x = (v >> shift) & ((1 << b.bits) - 1);
        out[b.name] = b.bool ? x === 1 : x;
        fieldNum += 1;
      }
      p += bytes;
      continue;
    }
    const { name, kind } = spec;
    switch (kind) {
      case 'u8':
        need(1, name);
        out[name] = buf[p]!;
        p += 1;
        break;
      case 's8':
        need(1, name);
        out[name] = buf.readInt8(p);
        p += 1;
        break;
      case 'u16':
        need(2, name);
        out[name] = buf.readUInt16BE(p);
        p += 2;
        break;
      case 's16':
        need(2, name);
        out[name] = buf.readInt16BE(p);
        p += 2;
        break;
      case 'u32':
        need(4, name);
        out[name] = buf.readUInt32BE(p);
        p += 4;
        break;
      case 'u64':
        need(8, name);
        out[name] = buf.readBigUInt64BE(p);
        p += 8;
        break;
      case 'u96':
        need(12, name);
        out[name] = Uint8Array.prototype.slice.call(buf, p, p + 12);
        p += 12;
        break;
      case 'utf8':
      case 'u8v': {
        need(2, name);
        const n = buf.readUInt16BE(p);
        p += 2;
        need(n, name);
        out[name] =
          kind === 'utf8' ? buf.toString('utf8', p, p + n) : Uint8Array.prototype.slice.call(buf, p, p + n);
        p += n;
        break;
      }
      case 'u16v':
      case 'u32v': {
        need(2, name);
        const n = buf.readUInt16BE(p);
        p += 2;
        const w = kind === 'u16v' ? 2 : 4;
        need(w * n, name);
        const arr: number[] = new Array(n);
        for (let i = 0; i < n; i++)
          arr[i] = w === 2 ? buf.readUInt16BE(p + 2 * i) : buf.readUInt32BE(p + 4 * i);
        out[name] = arr;
        p += w * n;
        break;
      }
      case 'u1v': {
        need(2, name);
        const bits = buf.readUInt16BE(p);
        p += 2;
        const n = Math.ceil(bits / 8);
        need(n, name);
        out[name] = { bits, data: Uint8Array.prototype.slice.call(buf, p, p + n) };
        p += n;
        break;
      }
      case 'bytes':
        out[name] = Uint8Array.prototype.slice.call(buf, p, end);
        p = end;
        break;
    }
    fieldNum += 1;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------- encode

export class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  s8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  s16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }
  bytes(v: Uint8Array): void {
    this.ensure(v.byteLength);
    this.buf.set(v, this.pos);
    this.pos += v.byteLength;
  }
}

export function encodeError(message: string): ColdtraceError {
  return new ColdtraceError('llrp_encode', message);
}

function num(fields: LlrpFields, name: string): number {
  const v = fields[name] ?? 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw encodeError(`field ${name} must be a number`);
}

function bytesOf(fields: LlrpFields, name: string): Uint8Array {
  const v = fields[name] ?? new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'hex');
  throw encodeError(`field ${name} must be bytes`);
}

/** Encodes fixed fields in schema order (the inverse of `decodeFields`). */
export function encodeFields(w: Writer, specs: readonly FieldSpec[], fields: LlrpFields): void {
  for (const spec of specs) {
    if ('packed' in spec) {
      let v = 0;
      let shift = spec.size;
      for (const b of spec.packed) {
        shift -= b.bits;
        const x = b.bool ? (fields[b.name] === true ? 1 : 0) : num(fields, b.name);
        v |= (x & ((1 << b.bits) - 1)) << shift;
      }
      if (spec.size === 8) w.u8(v);
      else w.u16(v);
      continue;
    }
    const { name, kind } = spec;
    switch (kind) {
      case 'u8':
        w.u8(num(fields, name));
        break;
      case 's8':
        w.s8(num(fields, name));
        break;
      case 'u16':
        w.u16(num(fields, name));
        break;
      case 's16':
        w.s16(num(fields, name));
        break;
      case 'u32':
        w.u32(num(fields, name));
        break;
      case 'u64': {
        const v = fields[name] ?? 0n;
        w.u64(typeof v === 'bigint' ? v : BigInt(num(fields, name)));
        break;
      }
      case 'u96': {
        const b = bytesOf(fields, name);
        if (b.byteLength !== 12)
          throw encodeError(`field ${name} must be 12 bytes (96 bits), got ${b.byteLength}`);
        w.bytes(b);
        break;
      }
      case 'utf8': {
        const v = fields[name] ?? '';
        const b = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8');
        w.u16(b.byteLength);
        w.bytes(b);
        break;
      }
      case 'u8v': {
        const b = bytesOf(fields, name);
        w.u16(b.byteLength);
        w.bytes(b);
        break;
      }
      case 'u16v':
      case 'u32v': {
        const v = fields[name] ?? [];
        if (!Array.isArray(v)) throw encodeError(`field ${name} must be an array of numbers`);
        w.u16(v.length);
        for (const x of v as number[]) {
          if (kind === 'u16v') w.u16(x);
          else w.u32(x);
        }
        break;
      }
      case 'u1v': {
        const v = fields[name];
        if (v === undefined) {
          w.u16(0);
          break;
        }
        if (typeof v !== 'object' || !('bits' in v))
          throw encodeError(`field ${name} must be { bits, data }`);
        if (v.data.byteLength !== Math.ceil(v.bits / 8))
          throw encodeError(`field ${name}: data length does not match bits`);
        w.u16(v.bits);
        w.bytes(v.data);
        break;
      }
      case 'bytes':
        w.bytes(bytesOf(fields, name));
        break;
    }
  }
}
