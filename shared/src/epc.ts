import tds from 'epc-tds';
import { ColdtraceError } from './errors.js';

/**
 * A decoded EPC (GS1 EPC Tag Data Standard 2.x, via `epc-tds`). Fields a scheme does not have are absent.
 * `serial` is the raw value; in `tagUri`/`pureIdentityUri` it is URI-escaped (TDS 2.x Table A-1).
 */
export interface DecodedEpcOk {
  /** Upper-case hex as decoded. */
  hex: string;
  /** Lower-case TDS scheme name, e.g. `sgtin-96`. */
  scheme: string;
  tagUri?: string;
  pureIdentityUri?: string;
  gtin?: string;
  serial?: string;
  sscc?: string;
  filter?: number;
  partition?: number;
  companyPrefix?: string;
}
/** An EPC that is not a decodable TDS scheme; tracked anyway and shown as uncommissioned (docs/architecture.md "Master data"). */
export interface DecodedEpcUnknown {
  hex: string;
  scheme: 'unknown';
  error: string;
}
export type DecodedEpc = DecodedEpcOk | DecodedEpcUnknown;

/** Pure-identity URI fields per EPC kind (`urn:epc:id:{kind}:{f1}.{f2}...`); the last may hold dots. */
const ID_FIELDS: Record<string, number> = {
  sgtin: 3,
  sscc: 2,
  sgln: 3,
  grai: 3,
  giai: 2,
  gsrn: 2,
  gdti: 3,
  sgcn: 3,
  cpi: 3,
  gid: 3,
};
/** Kinds whose last field is a serial number. */
const SERIAL_KINDS = new Set(['sgtin', 'grai', 'gdti', 'sgcn', 'cpi', 'gid']);

/**
 * TDS 2.x Table A-1: in URIs, the characters `" % & / < > ?` of alphanumeric components are written as
 * %22 %25 %26 %2F %3C %3E %3F (epc-tds 1.4.1 prints them raw).
 */
export function escapeEpcUriComponent(raw: string): string {
  return raw.replace(/["%&/<>?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Splits `body` into `n` fields at the first n−1 dots (the last field keeps any further dots). */
function splitFields(body: string, n: number): string[] | null {
  const out: string[] = [];
  let rest = body;
  for (let i = 0; i < n - 1; i++) {
    const dot = rest.indexOf('.');
    if (dot < 0) return null;
    out.push(rest.slice(0, dot));
    rest = rest.slice(dot + 1);
  }
  out.push(rest);
  return out;
}

/** Re-writes a URI `{prefix}:{f1}.{f2}...{last}` with its last field escaped. */
function escapeLastField(uri: string, fields: number): string {
  const colon = uri.lastIndexOf(':', uri.indexOf('.') < 0 ? uri.length : uri.indexOf('.'));
  const parts = splitFields(uri.slice(colon + 1), fields);
  if (!parts) throw new Error(`unexpected URI ${uri}`);
  const last = parts.pop()!;
  return `${uri.slice(0, colon + 1)}${[...parts, escapeEpcUriComponent(last)].join('.')}`;
}

const unknown = (hex: string, error: string): DecodedEpcUnknown => ({ hex, scheme: 'unknown', error });

/** Calls an optional getter of an epc-tds object; undefined when absent or unsupported for the scheme. */
function tryGet(obj: object, name: string): unknown {
  const fn = (obj as Record<string, unknown>)[name];
  if (typeof fn !== 'function') return undefined;
  try {
    return (fn as () => unknown).call(obj);
  } catch {
    return undefined;
  }
}

/**
 * Decodes an EPC given as hex (any case, surrounding whitespace ignored). Never throws: anything that is
 * not a well-formed EPC of a TDS scheme known to epc-tds gives `{ scheme: 'unknown', error }`.
 * The hex must hold the scheme's bits exactly, padded with zero bits at most to the next 16-bit word
 * (a Gen2 EPC bank is word-aligned, TDS 2.x §15.1.1).
 */
export function decodeEpc(input: string): DecodedEpc {
  if (typeof input !== 'string')
    return unknown(String(input), `EPC must be a hex string, got ${typeof input}`);
  const hex = input.trim().toUpperCase();
  if (hex.length === 0) return unknown(hex, 'EPC is empty');
  if (!/^[0-9A-F]+$/.test(hex)) return unknown(hex, 'EPC is not hexadecimal');
  if (hex.length < 2) return unknown(hex, 'EPC is shorter than its 8-bit header');
  let epc: ReturnType<typeof tds.valueOf>;
  try {
    epc = tds.valueOf(hex);
  } catch {
    return unknown(hex, `EPC header 0x${hex.slice(0, 2)} is not a supported TDS scheme`);
  }
  const scheme = epc.getType().toLowerCase();
  const bits = epc.getTotalBits();
  const minDigits = Math.ceil(bits / 4);
  const maxDigits = Math.ceil(bits / 16) * 4;
  if (hex.length < minDigits || hex.length > maxDigits) {
    const want = minDigits === maxDigits ? `${minDigits}` : `${minDigits}-${maxDigits}`;
    return unknown(hex, `${scheme} needs ${want} hex digits (${bits} bits), got ${hex.length}`);
  }
  const padBits = BigInt(hex.length * 4 - bits);
  if (padBits > 0n && (BigInt(`0x${hex}`) & ((1n << padBits) - 1n)) !== 0n) {
    return unknown(hex, `${scheme} padding bits after bit ${bits} are not zero`);
  }
  const partitionValue = tryGet(epc, 'getPartition');
  if (typeof partitionValue === 'number' && partitionValue > 6) {
    return unknown(hex, `${scheme} partition value ${partitionValue} is reserved (TDS 2.x §14.2 allows 0-6)`);
  }
  try {
    const rawId = epc.toIdURI();
    const rawTag = epc.toTagURI();
    const kind = /^urn:epc:id:([a-z]+):/.exec(rawId)?.[1];
    const n = kind ? ID_FIELDS[kind] : undefined;
    if (!kind || !n) return unknown(hex, `${scheme} has no pure identity URI form here`);
    const fields = splitFields(rawId.slice(`urn:epc:id:${kind}:`.length), n);
    if (!fields) return unknown(hex, `${scheme} decoded to a malformed URI`);
    const out: DecodedEpcOk = {
      hex,
      scheme,
      tagUri: escapeLastField(rawTag, kind === 'gid' ? n : n + 1),
      pureIdentityUri: escapeLastField(rawId, n),
    };
    const filter = tryGet(epc, 'getFilter');
    if (typeof filter === 'number') out.filter = filter;
    const partition = partitionValue;
    if (typeof partition === 'number') {
      out.partition = partition;
      out.companyPrefix = fields[0]!;
      // TDS 2.x §14.2: partition values 0..6 give a 12..6-digit company prefix; a field holding more
      // digits than its partition allows does not decode.
      if (out.companyPrefix.length !== 12 - partition || !/^\d+$/.test(out.companyPrefix)) {
        return unknown(hex, `${scheme} partition ${partition} does not match its company prefix field`);
      }
    }
    if (SERIAL_KINDS.has(kind)) out.serial = fields[fields.length - 1]!;
    if (kind === 'sgtin') {
      const gtin = String(tryGet(epc, 'getGtin'));
      if (!/^\d{14}$/.test(gtin)) return unknown(hex, `${scheme} item reference is out of range`);
      out.gtin = gtin;
    }
    if (kind === 'sscc') {
      const sscc = String(tryGet(epc, 'getSscc'));
      if (!/^\d{18}$/.test(sscc)) return unknown(hex, `${scheme} serial reference is out of range`);
      out.sscc = sscc;
    }
    return out;
  } catch (err) {
    return unknown(hex, `${scheme} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The GTIN-14 of an SGTIN EPC; null for anything else (including undecodable EPCs). */
export function gtinOf(hex: string): string | null {
  const d = decodeEpc(hex);
  return isDecodedEpc(d) ? (d.gtin ?? null) : null;
}

/** True when the EPC decoded to a TDS scheme. */
export function isDecodedEpc(d: DecodedEpc): d is DecodedEpcOk {
  return !('error' in d);
}

export interface Sgtin96Input {
  /** GS1 company prefix, 6 to 12 digits (its length selects the partition). */
  companyPrefix: string;
  /** Indicator digit + item reference: 13 − companyPrefix.length digits (a number is zero-padded). */
  itemRef: string | number;
  /** 0 .. 2^38 − 1. */
  serial: number | bigint | string;
  /** 0..7; default 1 (point-of-sale trade item, TDS 2.x Table 10-1). */
  filter?: number;
}

const SGTIN96_MAX_SERIAL = 2n ** 38n - 1n;

/** Encodes an SGTIN-96 (TDS 2.x §14.5.1) as upper-case hex; throws `invalid_epc_input` on bad input. */
export function sgtin96Hex(input: Sgtin96Input): string {
  const { companyPrefix } = input;
  const filter = input.filter ?? 1;
  const bad = (msg: string) =>
    new ColdtraceError('invalid_epc_input', `sgtin-96: ${msg}`, { input: { ...input } });
  if (typeof companyPrefix !== 'string' || !/^\d{6,12}$/.test(companyPrefix)) {
    throw bad(`companyPrefix must be 6 to 12 digits, got ${JSON.stringify(companyPrefix)}`);
  }
  const itemDigits = 13 - companyPrefix.length;
  const itemRef =
    typeof input.itemRef === 'number' && Number.isSafeInteger(input.itemRef) && input.itemRef >= 0
      ? String(input.itemRef).padStart(itemDigits, '0')
      : input.itemRef;
  if (typeof itemRef !== 'string' || itemRef.length !== itemDigits || !/^\d+$/.test(itemRef)) {
    throw bad(`itemRef must be ${itemDigits} digits with a ${companyPrefix.length}-digit company prefix`);
  }
  let serial: bigint;
  try {
    serial = BigInt(input.serial);
  } catch {
    throw bad(`serial must be an integer, got ${JSON.stringify(String(input.serial))}`);
  }
  if (typeof input.serial === 'number' && !Number.isSafeInteger(input.serial))
    throw bad('serial must be an integer');
  if (serial < 0n || serial > SGTIN96_MAX_SERIAL) throw bad(`serial must be 0..${SGTIN96_MAX_SERIAL}`);
  if (!Number.isInteger(filter) || filter < 0 || filter > 7) throw bad(`filter must be 0..7, got ${filter}`);
  const epc = new tds.Sgtin96()
    .setFilter(filter)
    .setPartition(12 - companyPrefix.length)
    .setCompanyPrefix(Number(companyPrefix))
    .setItemReference(Number(itemRef))
    .setSerial(Number(serial));
  return epc.toHexString().toUpperCase();
}
