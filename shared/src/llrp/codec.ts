import { ColdtraceError } from '../errors.js';
import { LLRP_HEADER_BYTES, LLRP_VERSION, ParamType } from './constants.js';
import {
  asBuffer,
  decodeFields,
  encodeError,
  encodeFields,
  type LlrpFields,
  type LlrpValue,
  malformed,
  Writer,
} from './field-codec.js';
import { MESSAGE_FIELDS, messageName, TLV_PARAMS, TV_LENGTH, TV_PARAMS } from './schema.js';

export type { LlrpFields, LlrpValue };

/** LLRP 1.0.1 §16.2 Custom parameter: VendorIdentifier(32) and ParameterSubtype(32) after the TLV header. */
const CUSTOM_MIN_LENGTH = 12;

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
  /** Decode errors confined to a skipped parameter (never set on messages built for sending). */
  errors?: ColdtraceError[];
}

/**
 * Decodes the parameters in `buf[start, end)`. Throws `llrp_malformed` on a length that doesn't fit.
 *
 * A Custom parameter (vendor extension) whose body is too short for VendorIdentifier and
 * ParameterSubtype while its TLV length is intact is not fatal: it is kept verbatim in `raw` (so the
 * message re-encodes byte for byte) and reported as an `llrp_malformed_param` error in `errors`. Without
 * an `errors` sink it throws like any other malformed parameter.
 */
export function decodeParams(
  bytes: Uint8Array,
  start = 0,
  end = bytes.byteLength,
  errors?: ColdtraceError[],
): LlrpParam[] {
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
    const raw = () => Uint8Array.prototype.slice.call(buf, p + 4, p + len);
    if (spec === undefined) {
      out.push({ type, fields: {}, params: [], raw: raw() });
    } else if (type === ParamType.Custom && len < CUSTOM_MIN_LENGTH && errors !== undefined) {
      errors.push(
        new ColdtraceError(
          'llrp_malformed_param',
          `Custom parameter of ${len} bytes is shorter than ${CUSTOM_MIN_LENGTH}; skipped`,
          { offset: p, type, length: len },
        ),
      );
      out.push({ type, fields: {}, params: [], raw: raw() });
    } else {
      const fields: LlrpFields = {};
      let q: number;
      try {
        q = decodeFields(buf, p + 4, p + len, spec.fields, fields);
      } catch (err) {
        // Name the parameter whose field is bad (the ParameterError a reader would report, §16.2.8.1).
        if (err instanceof ColdtraceError && err.details?.['type'] === undefined) {
          throw malformed(`${spec.name}: ${err.message}`, { ...err.details, type });
        }
        throw err;
      }
      out.push({ type, fields, params: decodeParams(buf, q, p + len, errors) });
    }
    p += len;
  }
  return out;
}

/**
 * Decodes a message body (the bytes after the 10-byte header). Errors confined to one skippable
 * parameter (see `decodeParams`) are returned in `errors`; anything else throws `llrp_malformed`.
 */
export function decodeBody(type: number, id: number, body: Uint8Array, version = LLRP_VERSION): LlrpMessage {
  const buf = asBuffer(body);
  const specs = MESSAGE_FIELDS[type];
  if (specs === undefined) {
    return { type, id, version, fields: {}, params: [], raw: Uint8Array.prototype.slice.call(buf) };
  }
  const fields: LlrpFields = {};
  const errors: ColdtraceError[] = [];
  try {
    const q = decodeFields(buf, 0, buf.byteLength, specs, fields);
    const msg: LlrpMessage = {
      type,
      id,
      version,
      fields,
      params: decodeParams(buf, q, buf.byteLength, errors),
    };
    if (errors.length > 0) {
      msg.errors = errors.map(
        (e) =>
          new ColdtraceError(e.code, `${messageName(type)} id ${id}: ${e.message}`, {
            ...e.details,
            messageType: type,
            messageId: id,
          }),
      );
    }
    return msg;
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

function encodeParamsInto(w: Writer, params: readonly LlrpParam[]): void {
  for (const p of params) {
    if (p.tv) {
      const spec = TV_PARAMS[p.type];
      if (spec === undefined) throw encodeError(`unknown TV parameter type ${p.type}`);
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
      if (spec === undefined) throw encodeError(`parameter type ${p.type} has no layout and no raw body`);
      encodeFields(w, spec.fields, p.fields);
      encodeParamsInto(w, p.params);
    }
    const len = w.pos - start;
    if (len > 0xffff) throw encodeError(`parameter type ${p.type} is longer than 65535 bytes`);
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
    if (specs === undefined) throw encodeError(`message type ${msg.type} has no layout and no raw body`);
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
