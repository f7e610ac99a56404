import { ColdtraceError } from '@coldtrace/shared';
import { LLRP_HEADER_BYTES, LLRP_VERSION } from './constants.js';
import { type FieldSpec, MESSAGE_FIELDS, messageName, TLV_PARAMS, TV_LENGTH, TV_PARAMS } from './schema.js';

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

/**
 * One parameter in wire order. A parameter without a known layout (unknown or vendor-specific) keeps its
 * body verbatim in `raw` and is re-encoded unchanged (LLRP 1.0.1 §16.2.1: skip by length, never fatal).
 */
export interface LlrpParam {
  type: number;
  tv?: boolean;
  fields: LlrpFields;
  params: LlrpParam[];
  raw?: Uint8Array;
}

export interface LlrpMessage {
  type: number;
  /** Message ID (LLRP 1.0.1 §16.1): a response echoes the request's ID. */
  id: number;
  /** Defaults to 1. */
  version?: number;
  fields: LlrpFields;
  params: LlrpParam[];
  /** Body of a message type without a known layout, kept verbatim. */
  raw?: Uint8Array;
}

function malformed(message: string, details?: Record<string, unknown>): ColdtraceError {
  return new ColdtraceError('LLRP_MALFORMED', message, details);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------- decode

function decodeFields(
  buf: Buffer,
  start: number,
  end: number,
  specs: readonly FieldSpec[],
  out: LlrpFields,
): number {
  let p = start;
  const need = (n: number, what: string) => {
    if (p + n > end)
      throw malformed(`field ${what} runs past its parameter (${p + n} > ${end})`, { offset: p });
  };
  for (const spec of specs) {
    if ('flags' in spec) {
      const bytes = spec.size / 8;
      need(bytes, spec.flags[0] ?? 'flags');
      const v = bytes === 1 ? buf[p]! : buf.readUInt16BE(p);
      spec.flags.forEach((name, i) => {
        out[name] = ((v >> (spec.size - 1 - i)) & 1) === 1;
      });
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
      case 'u16v': {
        need(2, name);
        const n = buf.readUInt16BE(p);
        p += 2;
        need(2 * n, name);
        const arr: number[] = new Array(n);
        for (let i = 0; i < n; i++) arr[i] = buf.readUInt16BE(p + 2 * i);
        out[name] = arr;
        p += 2 * n;
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
  }
  return p;
}

/** Decodes the parameters in `buf[start, end)`. Throws `LLRP_MALFORMED` on a length that doesn't fit. */
export function decodeParams(bytes: Uint8Array, start = 0, end = bytes.byteLength): LlrpParam[] {
  const buf = asBuffer(bytes);
  const out: LlrpParam[] = [];
  let p = start;
  while (p < end) {
    const first = buf[p]!;
    if (first & 0x80) {
      // LLRP 1.0.1 §16.2.1.1: TV parameter, 1-bit flag + 7-bit type, length fixed by type.
      const type = first & 0x7f;
      const len = TV_LENGTH[type];
      const spec = TV_PARAMS[type];
      if (len === undefined || spec === undefined) {
        throw malformed(`unknown TV parameter type ${type}: its length cannot be known`, { offset: p, type });
      }
      if (p + len > end)
        throw malformed(`TV parameter ${spec.name} runs past its container`, { offset: p, type });
      const fields: LlrpFields = {};
      decodeFields(buf, p + 1, p + len, spec.fields, fields);
      out.push({ type, tv: true, fields, params: [] });
      p += len;
      continue;
    }
    // LLRP 1.0.1 §16.2.1.2: TLV parameter, Rsvd(6) Type(10), Length(16) including the 4-byte header.
    if (p + 4 > end) throw malformed('truncated TLV parameter header', { offset: p });
    const type = buf.readUInt16BE(p) & 0x3ff;
    const len = buf.readUInt16BE(p + 2);
    if (len < 4 || p + len > end) {
      throw malformed(`TLV parameter type ${type} has bad length ${len}`, { offset: p, type, length: len });
    }
    const spec = TLV_PARAMS[type];
    if (spec === undefined) {
      out.push({ type, fields: {}, params: [], raw: Uint8Array.prototype.slice.call(buf, p + 4, p + len) });
    } else {
      const fields: LlrpFields = {};
      const q = decodeFields(buf, p + 4, p + len, spec.fields, fields);
      out.push({ type, fields, params: decodeParams(buf, q, p + len) });
    }
    p += len;
  }
  return out;
}

/** Decodes a message body (the bytes after the 10-byte header). */
export function decodeBody(type: number, id: number, body: Uint8Array, version = LLRP_VERSION): LlrpMessage {
  const buf = asBuffer(body);
  const specs = MESSAGE_FIELDS[type];
  if (specs === undefined) {
    return { type, id, version, fields: {}, params: [], raw: Uint8Array.prototype.slice.call(buf) };
  }
  const fields: LlrpFields = {};
  try {
    const q = decodeFields(buf, 0, buf.byteLength, specs, fields);
    return { type, id, version, fields, params: decodeParams(buf, q, buf.byteLength) };
  } catch (err) {
    if (err instanceof ColdtraceError) {
      throw new ColdtraceError(err.code, `${messageName(type)} id ${id}: ${err.message}`, {
        ...err.details,
        messageType: type,
        messageId: id,
      });
    }
    throw err;
  }
}

/** Header of a framed message. */
export interface LlrpHeader {
  version: number;
  type: number;
  length: number;
  id: number;
}

/** LLRP 1.0.1 §16.1: reads the 10-byte header at `offset`. */
export function readHeader(buf: Buffer, offset = 0): LlrpHeader {
  const w = buf.readUInt16BE(offset);
  return {
    version: (w >> 10) & 0x7,
    type: w & 0x3ff,
    length: buf.readUInt32BE(offset + 2),
    id: buf.readUInt32BE(offset + 6),
  };
}

/** Decodes one whole framed message (header + body). */
export function decodeMessage(bytes: Uint8Array): LlrpMessage {
  const buf = asBuffer(bytes);
  if (buf.byteLength < LLRP_HEADER_BYTES) throw malformed('message shorter than the 10-byte header');
  const h = readHeader(buf);
  if (h.length !== buf.byteLength) {
    throw malformed(`header length ${h.length} differs from ${buf.byteLength} bytes`, { messageId: h.id });
  }
  return decodeBody(h.type, h.id, buf.subarray(LLRP_HEADER_BYTES), h.version);
}

// ---------------------------------------------------------------------------------------------- encode

class Writer {
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

function bad(message: string): ColdtraceError {
  return new ColdtraceError('LLRP_ENCODE', message);
}

function num(fields: LlrpFields, name: string): number {
  const v = fields[name] ?? 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw bad(`field ${name} must be a number`);
}

function bytesOf(fields: LlrpFields, name: string): Uint8Array {
  const v = fields[name] ?? new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'hex');
  throw bad(`field ${name} must be bytes`);
}

function encodeFields(w: Writer, specs: readonly FieldSpec[], fields: LlrpFields): void {
  for (const spec of specs) {
    if ('flags' in spec) {
      let v = 0;
      spec.flags.forEach((name, i) => {
        if (fields[name] === true) v |= 1 << (spec.size - 1 - i);
      });
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
        if (b.byteLength !== 12) throw bad(`field ${name} must be 12 bytes (96 bits), got ${b.byteLength}`);
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
      case 'u16v': {
        const v = fields[name] ?? [];
        if (!Array.isArray(v)) throw bad(`field ${name} must be an array of numbers`);
        w.u16(v.length);
        for (const x of v as number[]) w.u16(x);
        break;
      }
      case 'u1v': {
        const v = fields[name];
        if (v === undefined) {
          w.u16(0);
          break;
        }
        if (typeof v !== 'object' || !('bits' in v)) throw bad(`field ${name} must be { bits, data }`);
        if (v.data.byteLength !== Math.ceil(v.bits / 8))
          throw bad(`field ${name}: data length does not match bits`);
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

function encodeParamsInto(w: Writer, params: readonly LlrpParam[]): void {
  for (const p of params) {
    if (p.tv) {
      const spec = TV_PARAMS[p.type];
      if (spec === undefined) throw bad(`unknown TV parameter type ${p.type}`);
      w.u8(0x80 | p.type);
      encodeFields(w, spec.fields, p.fields);
      continue;
    }
    const start = w.pos;
    w.u16(p.type & 0x3ff);
    w.u16(0);
    if (p.raw !== undefined) {
      w.bytes(p.raw);
    } else {
      const spec = TLV_PARAMS[p.type];
      if (spec === undefined) throw bad(`parameter type ${p.type} has no layout and no raw body`);
      encodeFields(w, spec.fields, p.fields);
      encodeParamsInto(w, p.params);
    }
    const len = w.pos - start;
    if (len > 0xffff) throw bad(`parameter type ${p.type} is longer than 65535 bytes`);
    w.buf.writeUInt16BE(len, start + 2);
  }
}

export function encodeParams(params: readonly LlrpParam[]): Buffer {
  const w = new Writer();
  encodeParamsInto(w, params);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** Encodes a whole message: header (LLRP 1.0.1 §16.1) and body. */
export function encodeMessage(msg: LlrpMessage): Buffer {
  const w = new Writer(64);
  w.u16((((msg.version ?? LLRP_VERSION) & 0x7) << 10) | (msg.type & 0x3ff));
  w.u32(0);
  w.u32(msg.id);
  if (msg.raw !== undefined) {
    w.bytes(msg.raw);
  } else {
    const specs = MESSAGE_FIELDS[msg.type];
    if (specs === undefined) throw bad(`message type ${msg.type} has no layout and no raw body`);
    encodeFields(w, specs, msg.fields);
    encodeParamsInto(w, msg.params);
  }
  w.buf.writeUInt32BE(w.pos, 2);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// ---------------------------------------------------------------------------------------------- helpers

/** Builds a parameter (fields before sub-parameters). */
export function param(type: number, fields: LlrpFields = {}, params: LlrpParam[] = []): LlrpParam {
  return { type, fields, params };
}

/** Builds a TV parameter. */
export function tvParam(type: number, fields: LlrpFields): LlrpParam {
  return { type, tv: true, fields, params: [] };
}

export function findParam(params: readonly LlrpParam[], type: number): LlrpParam | undefined {
  for (const p of params) if (p.type === type) return p;
  return undefined;
}

export function findParams(params: readonly LlrpParam[], type: number): LlrpParam[] {
  return params.filter((p) => p.type === type);
}
