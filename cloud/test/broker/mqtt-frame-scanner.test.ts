import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttFrameScanner } from '../../src/broker/mqtt-frame-scanner.js';

const LIMITS = { maxConnectBytes: 100, maxPacketBytes: 1000 };

/** MQTT 3.1.1 §2.2.3: Remaining Length as a Variable Byte Integer. */
function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A packet of `type` (first byte) with a body of `bodyBytes`. */
function packet(type: number, bodyBytes: number): Buffer {
  return Buffer.concat([Buffer.from([type, ...remainingLength(bodyBytes)]), Buffer.alloc(bodyBytes, 0x61)]);
}
const connect = (body = 20) => packet(0x10, body);
const publish = (body: number) => packet(0x32, body);

describe('MqttFrameScanner', () => {
  // The table of MQTT 3.1.1 §2.2.3 (Table 2.4): the boundaries of 1, 2, 3 and 4 length bytes.
  it.each([
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xff, 0x7f], 16_383],
    [[0x80, 0x80, 0x01], 16_384],
    [[0xff, 0xff, 0x7f], 2_097_151],
    [[0x80, 0x80, 0x80, 0x01], 2_097_152],
    [[0xff, 0xff, 0xff, 0x7f], 268_435_455],
  ])('reads the Remaining Length %j as %d (spec table 2.4)', (bytes, value) => {
    const headerBytes = 1 + bytes.length;
    const atLimit = new MqttFrameScanner({ maxConnectBytes: headerBytes + value, maxPacketBytes: 1 });
    expect(atLimit.feed(Buffer.from([0x10, ...bytes]))).toBeUndefined();
    const below = new MqttFrameScanner({ maxConnectBytes: headerBytes + value - 1, maxPacketBytes: 1 });
    expect(below.feed(Buffer.from([0x10, ...bytes]))).toEqual({
      code: 'packet_too_large',
      packetBytes: headerBytes + value,
      limitBytes: headerBytes + value - 1,
      first: true,
    });
  });

  it('holds the CONNECT to its own, smaller limit and later packets to theirs', () => {
    expect(new MqttFrameScanner(LIMITS).feed(connect(98))).toBeUndefined(); // 1 + 1 + 98 = 100
    expect(new MqttFrameScanner(LIMITS).feed(connect(99))).toMatchObject({
      code: 'packet_too_large',
      packetBytes: 101,
      limitBytes: 100,
      first: true,
    });
    const s = new MqttFrameScanner(LIMITS);
    expect(s.feed(Buffer.concat([connect(), publish(997), publish(5)]))).toBeUndefined(); // 1 + 2 + 997
    expect(s.feed(publish(998))).toMatchObject({ packetBytes: 1001, limitBytes: 1000, first: false });
  });

  it('refuses on the header alone, before any of the body arrives', () => {
    const s = new MqttFrameScanner(LIMITS);
    expect(s.feed(connect())).toBeUndefined();
    expect(s.feed(Buffer.from([0x32, ...remainingLength(256 * 1024 * 1024 - 1)]))).toMatchObject({
      code: 'packet_too_large',
    });
  });

  it('reports a fifth length byte as malformed (MQTT 3.1.1 §2.2.3: at most four)', () => {
    const s = new MqttFrameScanner({ maxConnectBytes: 1e9, maxPacketBytes: 1e9 });
    expect(s.feed(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))).toEqual({ code: 'malformed_length' });
  });

  it('keeps reporting the first violation for every later chunk', () => {
    const s = new MqttFrameScanner(LIMITS);
    const v = s.feed(connect(500));
    expect(v).toMatchObject({ code: 'packet_too_large' });
    expect(s.feed(Buffer.from([0xc0, 0x00]))).toBe(v);
  });

  it('finds the same first oversized packet however the stream is cut into chunks (property)', () => {
    const bodies = fc.array(fc.integer({ min: 0, max: 1100 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        bodies,
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        (connectBody, publishBodies, cuts) => {
          const packets = [connect(connectBody), ...publishBodies.map((b) => publish(b))];
          const stream = Buffer.concat(packets);
          // Expected: the first packet over its limit, found where its header ends.
          const limitOf = (i: number) => (i === 0 ? LIMITS.maxConnectBytes : LIMITS.maxPacketBytes);
          const firstBad = packets.findIndex((p, i) => p.length > limitOf(i));
          const s = new MqttFrameScanner(LIMITS);
          let at = 0;
          let c = 0;
          let found: ReturnType<MqttFrameScanner['feed']>;
          let chunkStart = -1;
          while (at < stream.length && !found) {
            const end = Math.min(stream.length, at + cuts[c++ % cuts.length]!);
            found = s.feed(stream.subarray(at, end));
            chunkStart = at;
            at = end;
          }
          if (firstBad < 0) return found === undefined;
          const body = firstBad === 0 ? connectBody : publishBodies[firstBad - 1]!;
          const badStart = packets.slice(0, firstBad).reduce((n, p) => n + p.length, 0);
          const lastHeaderByte = badStart + remainingLength(body).length; // type byte + length bytes
          return (
            found?.code === 'packet_too_large' &&
            found.packetBytes === packets[firstBad]!.length &&
            found.first === (firstBad === 0) &&
            // Refused in the chunk that completed the header: none of its body was needed.
            chunkStart <= lastHeaderByte &&
            lastHeaderByte < at
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
