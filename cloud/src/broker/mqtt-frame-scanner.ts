import { MAX_PAYLOAD_BYTES } from '@coldtrace/shared';

/**
 * Finds MQTT packet boundaries in a byte stream without parsing packets, so that a connection can be
 * refused as soon as a fixed header announces a packet larger than allowed, before its body is read.
 * aedes (through mqtt-packet) buffers a whole packet before handing it over and has no size limit.
 *
 * Fixed header (MQTT 3.1.1 §2.2, MQTT 5.0 §2.1.1): one byte of type and flags, then the Remaining Length,
 * a Variable Byte Integer of 1 to 4 bytes, 7 bits each, least significant first, bit 7 = continuation
 * (MQTT 3.1.1 §2.2.3, MQTT 5.0 §1.5.5). The size checked is the whole packet (fixed header included), as
 * MQTT 5.0's Maximum Packet Size counts it (§3.1.2.11.4).
 */
export interface FrameLimits {
  /** Largest first packet (MQTT 3.1.1 §3.1: the CONNECT), read before the client is authenticated. */
  maxConnectBytes: number;
  /** Largest packet after it. */
  maxPacketBytes: number;
}

/**
 * The CONNECT carries client id, credentials and will (a gateway's is well under 1 KiB) and is read
 * before authentication; after it, the largest payload the contract accepts (MAX_PAYLOAD_BYTES: larger
 * ones are read and dead-lettered as `payload_too_large`, so the gateway gets its PUBACK) plus room for
 * the topic and headers. Anything larger closes the connection before its body is read.
 */
export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxConnectBytes: 64 * 1024,
  maxPacketBytes: MAX_PAYLOAD_BYTES + 64 * 1024,
};

export type FrameViolation =
  | { code: 'packet_too_large'; packetBytes: number; limitBytes: number; first: boolean }
  | { code: 'malformed_length' };

/** Most bytes a Remaining Length may take (MQTT 3.1.1 §2.2.3). */
const MAX_LENGTH_BYTES = 4;

export class MqttFrameScanner {
  /** Body bytes of the current packet still to pass. */
  private bodyLeft = 0;
  /** Inside a fixed header: 0 = expecting the type byte next, else length bytes read so far + 1. */
  private headerPos = 0;
  private length = 0;
  private packets = 0;
  private failed: FrameViolation | undefined;

  constructor(private readonly limits: FrameLimits) {}

  /** The first packet (the CONNECT, MQTT 3.1.1 §3.1) has passed whole. */
  get firstPacketComplete(): boolean {
    return this.packets > 1 || (this.packets === 1 && this.bodyLeft === 0);
  }

  /**
   * Feeds the next chunk of the stream; returns the first violation (and the same one for every later
   * chunk), or undefined while every announced packet is within its limit.
   */
  feed(chunk: Uint8Array): FrameViolation | undefined {
    if (this.failed) return this.failed;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, n - i);
        this.bodyLeft -= take;
        i += take;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.headerPos === 0) {
        // Type and flags byte: mqtt-packet validates it; only the length matters here.
        this.headerPos = 1;
        this.length = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** (this.headerPos - 1);
      if (byte & 0x80) {
        if (this.headerPos === MAX_LENGTH_BYTES) return this.fail({ code: 'malformed_length' });
        this.headerPos++;
        continue;
      }
      const packetBytes = 1 + this.headerPos + this.length;
      const first = this.packets === 0;
      const limitBytes = first ? this.limits.maxConnectBytes : this.limits.maxPacketBytes;
      if (packetBytes > limitBytes)
        return this.fail({ code: 'packet_too_large', packetBytes, limitBytes, first });
      this.packets++;
      this.headerPos = 0;
      this.bodyLeft = this.length;
    }
    return undefined;
  }

  private fail(v: FrameViolation): FrameViolation {
    this.failed = v;
    return v;
  }
}
