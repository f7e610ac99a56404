import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { type ExpectedReply, expectedReply, type Scan, scanReceived } from './rtu-reply-scan.js';

/** Bytes the port dropped instead of handing them to the client as an answer. */
export type Discarded =
  /** The answer to a request that had already timed out, `afterMs` after that request was written. */
  | { kind: 'late'; address: number; afterMs: number }
  /** A whole frame that answers no request of ours (another address, function or length). */
  | { kind: 'unmatched'; address: number; functionCode: number }
  /** Bytes that form no frame. */
  | { kind: 'noise'; bytes: number };

export interface MatchedRtuPortOptions {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  dataBits: 8;
  /** Clock of the response timeout: how late a late answer was. */
  now: () => number;
  onDiscard: (d: Discarded) => void;
}

interface InFlight extends ExpectedReply {
  sentAt: number;
}

/**
 * A serial port for modbus-serial's `ModbusRTU` (its port interface: open, close, write, isOpen and
 * the data/error/close events) that hands the client only the answer to the request in flight.
 * modbus-serial's own buffered port keeps whatever arrived before a request and takes the first frame
 * from the right address, so the late answer to an earlier request was read as the answer to the next.
 * Here, as libmodbus's `modbus_flush` does, the receive buffer is cleared before each request; bytes
 * that arrive are walked frame by frame (`scanReceived`) and only the frame with the request's address,
 * function (or its exception) and length is passed on. Everything else is reported through `onDiscard`;
 * a frame answering a request that timed out (`abandon`) is a late reply.
 */
export class MatchedRtuPort extends EventEmitter {
  private readonly serial: SerialPort;
  private buf: Buffer = Buffer.alloc(0);
  private inFlight: InFlight | undefined;
  /** The last request to each address that ended without an answer, by address. */
  private readonly timedOut = new Map<number, InFlight>();

  constructor(
    path: string,
    private readonly opts: MatchedRtuPortOptions,
  ) {
    super();
    this.serial = new SerialPort({
      path,
      baudRate: opts.baudRate,
      parity: opts.parity,
      stopBits: opts.stopBits,
      dataBits: opts.dataBits,
      autoOpen: false,
    });
    this.serial.on('data', (d: Buffer) => this.receive(d));
    this.serial.on('error', (err: unknown) => this.emit('error', err));
    this.serial.on('close', () => this.emit('close'));
  }

  get isOpen(): boolean {
    return this.serial.isOpen;
  }

  open(callback: (err: Error | null) => void): void {
    this.serial.open(callback);
  }

  close(callback?: (err?: Error | null) => void): void {
    this.buf = Buffer.alloc(0);
    this.inFlight = undefined;
    this.timedOut.clear();
    if (this.serial.isOpen) this.serial.close(callback ?? undefined);
    else callback?.(null);
  }

  /** Called by modbus-serial with one request frame. */
  write(frame: Buffer): void {
    const expected = expectedReply(frame);
    if (!expected) {
      throw new RangeError(`modbus function 0x${frame[1]?.toString(16)} is not supported on this port`);
    }
    // Before a request: whatever is still here answers nothing any more.
    const left = scanReceived(this.buf, undefined);
    this.report(left);
    if (left.rest.length > 0) this.opts.onDiscard({ kind: 'noise', bytes: left.rest.length });
    this.buf = Buffer.alloc(0);
    // From now on a frame from this address answers this request.
    this.timedOut.delete(expected.address);
    this.inFlight = { ...expected, sentAt: this.opts.now() };
    this.serial.write(frame);
  }

  /**
   * The request in flight got no answer in time: the client has given up on it. An answer to it that
   * still comes is discarded as late.
   */
  abandon(): void {
    const r = this.inFlight;
    if (!r) return;
    this.inFlight = undefined;
    this.timedOut.set(r.address, r);
    this.drain();
  }

  private receive(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    this.drain();
  }

  private drain(): void {
    const scan = scanReceived(this.buf, this.inFlight);
    this.buf = scan.rest;
    const answer = this.report(scan);
    if (!answer) return;
    this.inFlight = undefined;
    this.emit('data', answer);
    // What followed the answer answers nothing: a second frame is reported now, a partial one later.
    if (this.buf.length > 0) this.drain();
  }

  /** Reports what a scan discarded; returns the answer it found, if any. */
  private report(scan: Scan): Buffer | undefined {
    let answer: Buffer | undefined;
    for (const item of scan.items) {
      switch (item.kind) {
        case 'reply':
        case 'corrupt':
          answer = item.frame;
          break;
        case 'foreign':
          this.opts.onDiscard(this.classify(item.frame));
          break;
        case 'noise':
          this.opts.onDiscard(item);
          break;
        case 'echo':
          break;
      }
    }
    return answer;
  }

  private classify(frame: Buffer): Discarded {
    const address = frame[0]!;
    const functionCode = frame[1]! & 0x7f;
    const t = this.timedOut.get(address);
    const exception = (frame[1]! & 0x80) !== 0;
    if (t && t.functionCode === functionCode && (exception || frame.length === t.length)) {
      this.timedOut.delete(address);
      return { kind: 'late', address, afterMs: this.opts.now() - t.sentAt };
    }
    return { kind: 'unmatched', address, functionCode };
  }
}
