import { ColdtraceError } from '../errors.js';
import { LLRP_HEADER_BYTES, LLRP_VERSION } from './constants.js';

export interface FramerOptions {
  /** Largest message accepted; a bigger length field means the stream is corrupt. */
  maxMessageBytes?: number;
  /**
   * Deliver messages of any version 1-7 (the owner answers an unsupported one, LLRP 1.0.1 §16.1.35:
   * a reader replies ERROR_MESSAGE M_UnsupportedVersion and carries on). By default only version 1 is
   * a message; any other is taken for a stream out of sync.
   */
  anyVersion?: boolean;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a TCP byte stream into whole LLRP messages (LLRP 1.0.1 §16.1: the header's Length covers
 * header and body). Handles messages split across chunks and several messages per chunk. A header that
 * cannot be valid (wrong version, length < 10 or beyond the limit) throws `llrp_framing`: LLRP has no
 * sync marker, so the owner must close the connection (LLRP 1.0.1 §17.1) and the framer is reset.
 */
export class LlrpFramer {
  private pending: Buffer | null = null;
  private readonly max: number;
  private readonly anyVersion: boolean;

  constructor(
    private readonly onFrame: (frame: Buffer, type: number, id: number, version: number) => void,
    opts: FramerOptions = {},
  ) {
    this.max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.anyVersion = opts.anyVersion ?? false;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.pending?.byteLength ?? 0;
  }

  reset(): void {
    this.pending = null;
  }

  push(chunk: Uint8Array): void {
    let buf: Buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, buf]);
      this.pending = null;
    }
    let off = 0;
    const n = buf.byteLength;
    while (n - off >= LLRP_HEADER_BYTES) {
      const w = buf.readUInt16BE(off);
      const version = (w >> 10) & 0x7;
      const length = buf.readUInt32BE(off + 2);
      const versionOk = this.anyVersion ? version !== 0 : version === LLRP_VERSION;
      if (!versionOk || length < LLRP_HEADER_BYTES || length > this.max) {
        this.pending = null;
        throw new ColdtraceError(
          'llrp_framing',
          `invalid LLRP header (version ${version}, length ${length}); stream out of sync`,
          { version, length, type: w & 0x3ff },
        );
      }
      if (n - off < length) break;
      const frame = buf.subarray(off, off + length);
      off += length;
      this.onFrame(frame, w & 0x3ff, buf.readUInt32BE(off - length + 6), version);
    }
    if (off < n) this.pending = Buffer.from(buf.subarray(off));
  }
}
