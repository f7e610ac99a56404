import { ColdtraceError } from '../errors.js';
import { LLRP_HEADER_BYTES, MessageType, ParamType } from './constants.js';
import { TV_LENGTH } from './schema.js';

/** One TagReportData flattened (LLRP 1.0.1 §16.2.7.3). Absent optional parameters are null. */
export interface TagRead {
  /** EPC as upper-case hex (EPC-96 or EPCData). */
  epc: string;
  antennaId: number | null;
  /** dBm, signed (LLRP 1.0.1 §16.2.7.3.7). */
  peakRssi: number | null;
  /** µs since the Unix epoch (FirstSeenTimestampUTC), null when absent. */
  firstSeenUs: number | null;
  lastSeenUs: number | null;
  /** TagSeenCount, 1 when absent. */
  seenCount: number;
  rospecId: number | null;
  channelIndex: number | null;
}

/** Upper-case hex digit pairs as character codes: byte b → HEX_CODES[2b], HEX_CODES[2b + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).toUpperCase().padStart(2, '0');
  HEX_CODES[2 * i] = h.charCodeAt(0);
  HEX_CODES[2 * i + 1] = h.charCodeAt(1);
}
/** Scratch space for hex digits (an EPC is at most 496 bits by EPCData's 16-bit length, usually 96). */
let hexScratch = Buffer.allocUnsafe(128);

/**
 * Upper-case hex of buf[start, end) as one flat string: digits are written into a scratch buffer and
 * read back once (string concatenation built a rope per EPC, and the garbage collector paid for it).
 */
function hex(buf: Buffer, start: number, end: number): string {
  const n = 2 * (end - start);
  if (hexScratch.byteLength < n) hexScratch = Buffer.allocUnsafe(n);
  const out = hexScratch;
  let o = 0;
  for (let i = start; i < end; i++) {
    const v = buf[i]! << 1;
    out[o++] = HEX_CODES[v]!;
    out[o++] = HEX_CODES[v + 1]!;
  }
  return out.toString('latin1', 0, n);
}

function malformed(message: string, offset: number): ColdtraceError {
  return new ColdtraceError('llrp_malformed', `RO_ACCESS_REPORT: ${message}`, { offset });
}

/**
 * Fast path: decodes the TagReportData parameters (LLRP 1.0.1 §16.2.7.3) of an RO_ACCESS_REPORT body
 * straight from the buffer and appends them to `out`. Other parameters (RFSurveyReportData, Custom…) are
 * skipped by length. Unknown TLVs inside a TagReportData (OpSpec results, Custom) are skipped; an unknown
 * TV is malformed.
 *
 * A broken message-level TLV framing throws `llrp_malformed` (nothing after it can be trusted). A
 * TagReportData whose own length is intact but whose content is malformed spoils only itself: with an
 * `errors` sink it is skipped and reported there as `llrp_malformed_tag_report`, and the well-formed
 * reports around it are kept; without a sink it throws.
 */
export function decodeTagReports(
  buf: Buffer,
  start: number,
  end: number,
  out: TagRead[],
  errors?: ColdtraceError[],
): void {
  let p = start;
  let index = 0;
  while (p < end) {
    if (buf[p]! & 0x80) throw malformed('TV parameter at message level', p);
    if (p + 4 > end) throw malformed('truncated parameter header', p);
    const type = buf.readUInt16BE(p) & 0x3ff;
    const len = buf.readUInt16BE(p + 2);
    if (len < 4 || p + len > end) throw malformed(`parameter ${type} has bad length ${len}`, p);
    if (type === ParamType.TagReportData) {
      if (errors === undefined) out.push(decodeTagReportData(buf, p + 4, p + len));
      else {
        try {
          out.push(decodeTagReportData(buf, p + 4, p + len));
        } catch (err) {
          const e = err as ColdtraceError;
          errors.push(
            new ColdtraceError('llrp_malformed_tag_report', `TagReportData #${index} skipped: ${e.message}`, {
              ...e.details,
              index,
              reportOffset: p,
            }),
          );
        }
      }
      index += 1;
    }
    p += len;
  }
}

function decodeTagReportData(buf: Buffer, start: number, end: number): TagRead {
  let epc: string | null = null;
  let antennaId: number | null = null;
  let peakRssi: number | null = null;
  let firstSeenUs: number | null = null;
  let lastSeenUs: number | null = null;
  let seenCount = 1;
  let rospecId: number | null = null;
  let channelIndex: number | null = null;
  let p = start;
  while (p < end) {
    const b = buf[p]!;
    if (b & 0x80) {
      const t = b & 0x7f;
      const len = TV_LENGTH[t];
      if (len === undefined) throw malformed(`unknown TV parameter ${t} in TagReportData`, p);
      if (p + len > end) throw malformed(`TV parameter ${t} runs past TagReportData`, p);
      switch (t) {
        case 13: // EPC-96, LLRP 1.0.1 §16.2.7.3.2
          epc = hex(buf, p + 1, p + 13);
          break;
        case 1:
          antennaId = buf.readUInt16BE(p + 1);
          break;
        case 6:
          peakRssi = buf.readInt8(p + 1);
          break;
        case 2:
          firstSeenUs = buf.readUInt32BE(p + 1) * 4294967296 + buf.readUInt32BE(p + 5);
          break;
        case 4:
          lastSeenUs = buf.readUInt32BE(p + 1) * 4294967296 + buf.readUInt32BE(p + 5);
          break;
        case 8:
          seenCount = buf.readUInt16BE(p + 1);
          break;
        case 9:
          rospecId = buf.readUInt32BE(p + 1);
          break;
        case 7:
          channelIndex = buf.readUInt16BE(p + 1);
          break;
      }
      p += len;
      continue;
    }
    if (p + 4 > end) throw malformed('truncated parameter header in TagReportData', p);
    const type = buf.readUInt16BE(p) & 0x3ff;
    const len = buf.readUInt16BE(p + 2);
    if (len < 4 || p + len > end) throw malformed(`parameter ${type} has bad length ${len}`, p);
    if (type === ParamType.EPCData) {
      // LLRP 1.0.1 §16.2.7.3.1: EPCLengthBits then the EPC, padded to whole words for the wire contract.
      if (len < 6) throw malformed('EPCData too short', p);
      const bits = buf.readUInt16BE(p + 4);
      const n = Math.ceil(bits / 8);
      if (6 + n > len) throw malformed('EPCData bits exceed its length', p);
      let s = hex(buf, p + 6, p + 6 + n);
      while (s.length % 4 !== 0) s += '0';
      epc = s;
    }
    p += len;
  }
  if (epc === null) throw malformed('TagReportData without EPC-96 or EPCData', start);
  return { epc, antennaId, peakRssi, firstSeenUs, lastSeenUs, seenCount, rospecId, channelIndex };
}

/**
 * Decodes a whole framed RO_ACCESS_REPORT message into tag reads (see `decodeTagReports` for what
 * `errors` does).
 */
export function decodeRoAccessReport(
  frame: Buffer,
  out: TagRead[] = [],
  errors?: ColdtraceError[],
): TagRead[] {
  const type = frame.readUInt16BE(0) & 0x3ff;
  if (type !== MessageType.RO_ACCESS_REPORT) {
    throw new ColdtraceError('llrp_unexpected', `expected RO_ACCESS_REPORT, got message type ${type}`);
  }
  decodeTagReports(frame, LLRP_HEADER_BYTES, frame.byteLength, out, errors);
  return out;
}
