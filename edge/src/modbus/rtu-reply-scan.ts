import { createRequire } from 'node:module';

/** modbus-serial's CRC-16/MODBUS (Modbus over Serial Line V1.02 §2.5.1.2): the one the client checks with. */
const crc16 = createRequire(import.meta.url)('modbus-serial/utils/crc16') as (b: Uint8Array) => number;

/** Modbus over Serial Line V1.02 §2.5.1.1: an RTU frame is at most 256 bytes. */
const MAX_FRAME = 256;
/** Address, exception function code, exception code, CRC (Modbus Application Protocol V1.1b3 §7). */
const EXCEPTION_LENGTH = 5;

/** What a master waits for after one request. */
export interface ExpectedReply {
  address: number;
  functionCode: number;
  /** Bytes of a normal reply, CRC included. */
  length: number;
  /**
   * The request as written, when an echo of it can never be its answer (FC03/FC04: the answer has an
   * odd length, the request 8 bytes): a half-duplex adapter's local echo of it is then skipped.
   */
  echo: Buffer | undefined;
}

/**
 * The reply a request calls for, from the request frame itself (Modbus Application Protocol V1.1b3
 * §6.1-§6.6, §6.11, §6.12); undefined for a function whose reply length the header does not give.
 */
export function expectedReply(request: Buffer): ExpectedReply | undefined {
  if (request.length < 8) return undefined;
  const address = request[0]!;
  const functionCode = request[1]!;
  const qty = request.readUInt16BE(4);
  let length: number;
  switch (functionCode) {
    case 1:
    case 2:
      length = 5 + Math.ceil(qty / 8);
      break;
    case 3:
    case 4:
      length = 5 + 2 * qty;
      break;
    case 5:
    case 6:
    case 15:
    case 16:
      length = 8;
      break;
    default:
      return undefined;
  }
  const echo = functionCode === 3 || functionCode === 4 ? Buffer.from(request) : undefined;
  return { address, functionCode, length, echo };
}

export type ScanItem =
  /** Answers the request: its address and function (or exception), its length, a good CRC. */
  | { kind: 'reply'; frame: Buffer }
  /** Header and length of the answer, but a wrong CRC (§2.5.1.2): the answer, garbled. */
  | { kind: 'corrupt'; frame: Buffer }
  /** A whole frame with a good CRC that does not answer the request (another address, function or length). */
  | { kind: 'foreign'; frame: Buffer }
  /** The request itself, echoed by the adapter. */
  | { kind: 'echo' }
  /** Bytes that form no frame. */
  | { kind: 'noise'; bytes: number };

export interface Scan {
  items: ScanItem[];
  /** Bytes not yet decided (the start of a frame still arriving). */
  rest: Buffer;
}

/**
 * Splits bytes a master received into what they are, against the request in flight (`expected`;
 * undefined when none is). Walks frame by frame: the answer (`reply` or `corrupt`) ends the scan and
 * what follows it stays in `rest`; a frame that does not answer the request is skipped whole (a slave's
 * late reply, another slave's frame: Modbus over Serial Line V1.02 §2.4.1, a reply from an unexpected
 * slave does not end the wait); a byte that starts no frame is noise. Pure: the port keeps the buffer.
 */
export function scanReceived(buf: Buffer, expected: ExpectedReply | undefined): Scan {
  const items: ScanItem[] = [];
  let noise = 0;
  const flushNoise = () => {
    if (noise > 0) items.push({ kind: 'noise', bytes: noise });
    noise = 0;
  };
  let p = 0;
  while (p < buf.length) {
    const step = frameAt(buf, p, expected);
    if (step === 'wait') {
      // A frame still arriving, or noise whose header claims a length that never comes: a whole, good
      // frame further on is not left waiting behind it.
      const q = nextWholeFrame(buf, p + 1, expected);
      if (q === undefined) break;
      noise += q - p;
      p = q;
    } else if (step === 'noise') {
      noise++;
      p++;
    } else {
      flushNoise();
      items.push(step.item);
      p += step.length;
      if (step.item.kind === 'reply' || step.item.kind === 'corrupt') break;
    }
  }
  flushNoise();
  return { items, rest: Buffer.from(buf.subarray(p)) };
}

type Step = 'wait' | 'noise' | { item: ScanItem; length: number };

/** What starts at `p`: a whole frame, one still arriving (`wait`), or a byte of noise. */
function frameAt(buf: Buffer, p: number, expected: ExpectedReply | undefined): Step {
  const left = buf.length - p;
  if (expected) {
    // The adapter's echo of the request: skipped whole, or waited for while only its start is here.
    const echo = expected.echo;
    if (echo && buf.subarray(p, p + echo.length).equals(echo.subarray(0, Math.min(left, echo.length)))) {
      return left < echo.length ? 'wait' : { item: { kind: 'echo' }, length: echo.length };
    }
    const n = lengthOfAnswer(buf, p, expected);
    if (n === 'more') return 'wait';
    if (n !== undefined) {
      if (left < n) return 'wait';
      const frame = Buffer.from(buf.subarray(p, p + n));
      return { item: { kind: crcOk(frame) ? 'reply' : 'corrupt', frame }, length: n };
    }
  }
  const n = frameLength(buf, p);
  if (n === 'more') return 'wait';
  if (n === undefined) return 'noise';
  if (left < n) return 'wait';
  const frame = buf.subarray(p, p + n);
  return crcOk(frame) ? { item: { kind: 'foreign', frame: Buffer.from(frame) }, length: n } : 'noise';
}

/** Where the first whole frame with a good CRC (not a garbled answer) starts from `from` on. */
function nextWholeFrame(buf: Buffer, from: number, expected: ExpectedReply | undefined): number | undefined {
  for (let q = from; q < buf.length; q++) {
    const step = frameAt(buf, q, expected);
    if (typeof step === 'object' && step.item.kind !== 'corrupt') return q;
  }
  return undefined;
}

/**
 * Length of the answer to `expected` if a frame starting at `p` has its header: address, function (or
 * its exception) and, for functions whose answer carries one, the byte count the request calls for;
 * `more` while that header is incomplete; undefined when the frame there is no answer to it.
 */
function lengthOfAnswer(buf: Buffer, p: number, expected: ExpectedReply): number | 'more' | undefined {
  if (buf.length - p < 1) return 'more';
  if (buf[p] !== expected.address) return undefined;
  if (buf.length - p < 2) return 'more';
  const fc = buf[p + 1]!;
  if (fc === (expected.functionCode | 0x80)) return EXCEPTION_LENGTH;
  if (fc !== expected.functionCode) return undefined;
  if (expected.functionCode >= 1 && expected.functionCode <= 4) {
    if (buf.length - p < 3) return 'more';
    if (buf[p + 2] !== expected.length - 5) return undefined;
  }
  return expected.length;
}

/**
 * Length of a slave's frame starting at `p`, from its header (Modbus Application Protocol V1.1b3 §6,
 * §7); `more` while the header is incomplete; undefined when no frame can start there.
 */
function frameLength(buf: Buffer, p: number): number | 'more' | undefined {
  if (buf.length - p < 2) return 'more';
  const fc = buf[p + 1]!;
  if (fc & 0x80) return EXCEPTION_LENGTH;
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 17: {
      if (buf.length - p < 3) return 'more';
      const n = 5 + buf[p + 2]!;
      return n <= MAX_FRAME ? n : undefined;
    }
    case 5:
    case 6:
    case 15:
    case 16:
      return 8;
    default:
      return undefined;
  }
}

function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const n = frame.length;
  return frame[n - 2]! + (frame[n - 1]! << 8) === crc16(frame.subarray(0, n - 2));
}
