import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type FrameLimits, type FrameViolation, MqttFrameScanner } from './mqtt-frame-scanner.js';

/**
 * A socket as aedes sees it, with the MQTT frame limits enforced on what it reads: every chunk passes
 * through an `MqttFrameScanner` before aedes gets it, and the connection is destroyed (and `onViolation`
 * called once) as soon as a fixed header announces a packet over the limit, so its body is never
 * buffered; it also tells when the CONNECT has arrived (the broker's CONNECT timeout). Writes go straight
 * to the socket; back-pressure is kept both ways.
 */
export class FrameGuardedSocket extends Duplex {
  private readonly scanner: MqttFrameScanner;

  constructor(
    readonly socket: Socket,
    limits: FrameLimits,
    onViolation: (v: FrameViolation, guarded: FrameGuardedSocket) => void,
    /** Called once the first packet (the CONNECT) has arrived whole. */
    onFirstPacket?: () => void,
  ) {
    super({ allowHalfOpen: false });
    this.scanner = new MqttFrameScanner(limits);
    let firstPacket = onFirstPacket;
    socket.on('data', (chunk: Buffer) => {
      const violation = this.scanner.feed(chunk);
      if (violation) {
        socket.removeAllListeners('data');
        onViolation(violation, this);
        this.destroy();
        return;
      }
      if (firstPacket && this.scanner.firstPacketComplete) {
        firstPacket();
        firstPacket = undefined;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** aedes read everything pushed so far: take more from the socket. */
  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
