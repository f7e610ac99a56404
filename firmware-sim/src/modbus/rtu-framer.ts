import { crcOk } from './crc16.js';

/**
 * Splits the byte stream a Modbus RTU slave receives into request frames.
 * Modbus over serial line V1.02 §2.5.1.1: a frame ends after 3.5 character times of silence. On a
 * pseudo-terminal there is no baud timing, so known function codes are framed by their length
 * (Modbus Application Protocol V1.1b3 §6) and anything else by a silence timer. Frames whose CRC is
 * wrong are dropped, as a real device does (§2.5.1.2), and the buffer resynchronises.
 */
export class RtuFramer {
  private buf: Buffer = Buffer.alloc(0);
  private silence: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onBadFrame: (bytes: Buffer) => void,
    private readonly silenceMs = 5,
  ) {}

  push(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    if (this.buf.length > 256) {
      // §2.5.1.1: an RTU frame is at most 256 bytes; longer is noise.
      this.onBadFrame(this.buf);
      this.buf = Buffer.alloc(0);
    }
    this.drain();
    if (this.silence) clearTimeout(this.silence);
    if (this.buf.length > 0) this.silence = setTimeout(() => this.flushOnSilence(), this.silenceMs);
  }

  stop(): void {
    if (this.silence) clearTimeout(this.silence);
    this.buf = Buffer.alloc(0);
  }

  private drain(): void {
    for (;;) {
      const len = expectedLength(this.buf);
      if (len === undefined || this.buf.length < len) return;
      const frame = this.buf.subarray(0, len);
      if (!crcOk(frame)) {
        this.onBadFrame(Buffer.from(this.buf));
        this.buf = Buffer.alloc(0);
        return;
      }
      this.buf = this.buf.subarray(len);
      this.onFrame(Buffer.from(frame));
    }
  }

  private flushOnSilence(): void {
    this.silence = undefined;
    const bytes = this.buf;
    this.buf = Buffer.alloc(0);
    if (bytes.length === 0) return;
    if (bytes.length >= 4 && crcOk(bytes)) this.onFrame(Buffer.from(bytes));
    else this.onBadFrame(Buffer.from(bytes));
  }
}

/** Request length for function codes whose length is known from the header; undefined otherwise. */
function expectedLength(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  const fc = buf[1]!;
  if (fc >= 1 && fc <= 6) return 8; // addr, fc, 2×2 bytes, CRC
  if (fc === 15 || fc === 16) return buf.length >= 7 ? 9 + buf[6]! : undefined;
  return undefined;
}
