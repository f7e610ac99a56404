import { withCrc } from '@coldtrace/firmware-sim';
import { describe, expect, it } from 'vitest';
import { type ExpectedReply, expectedReply, scanReceived } from '../../src/modbus/rtu-reply-scan.js';

// Frames are built with the simulator's CRC (an implementation independent of modbus-serial's).
const frame = (...bytes: number[]) => withCrc(Buffer.from(bytes));
/** Modbus over Serial Line V1.02 Appendix B: read input registers 1..2 of slave 1 is 01 04 00 01 00 02 20 0B. */
const REQUEST = Buffer.from([0x01, 0x04, 0x00, 0x01, 0x00, 0x02, 0x20, 0x0b]);
const expected = expectedReply(REQUEST) as ExpectedReply;
/** The answer: two registers, 0x00D2 (21.0 °C × 10) and 0x015E (35.0 %RH × 10). */
const REPLY = frame(0x01, 0x04, 0x04, 0x00, 0xd2, 0x01, 0x5e);
const kinds = (s: ReturnType<typeof scanReceived>) =>
  s.items.map((i) => (i.kind === 'noise' ? `noise:${i.bytes}` : i.kind));

describe('expectedReply (Modbus Application Protocol V1.1b3 §6)', () => {
  it('gives address, function and length from the request, and the echo only where it cannot be the answer', () => {
    expect(expected).toMatchObject({ address: 1, functionCode: 4, length: 9 });
    expect(expected.echo).toEqual(REQUEST);
    expect(expectedReply(frame(7, 3, 0, 100, 0, 3))).toMatchObject({
      address: 7,
      functionCode: 3,
      length: 11,
    });
    // FC06's answer is the request itself: no echo to skip.
    expect(expectedReply(frame(7, 6, 0, 1, 0, 5))).toMatchObject({ length: 8, echo: undefined });
    expect(expectedReply(frame(7, 1, 0, 0, 0, 17))).toMatchObject({ length: 8 });
    expect(expectedReply(frame(7, 0x2b, 0x0e, 1, 0, 0))).toBeUndefined();
  });
});

describe('scanReceived: the answer to the request in flight, and only it', () => {
  it('takes the answer, a normal one or an exception (§7), and waits for one still arriving', () => {
    expect(scanReceived(REPLY, expected)).toEqual({
      items: [{ kind: 'reply', frame: REPLY }],
      rest: Buffer.alloc(0),
    });
    const exception = frame(0x01, 0x84, 0x02);
    expect(scanReceived(exception, expected).items).toEqual([{ kind: 'reply', frame: exception }]);
    for (let n = 1; n < REPLY.length; n++) {
      const part = scanReceived(REPLY.subarray(0, n), expected);
      expect(part.items, `${n} bytes`).toEqual([]);
      expect(part.rest).toEqual(REPLY.subarray(0, n));
    }
  });

  it('skips a late answer of another slave whole, even where its bytes look like the awaited header', () => {
    const toFour = expectedReply(frame(4, 4, 0, 1, 0, 2))!;
    const fresh = frame(0x04, 0x04, 0x04, 0x00, 0x2a, 0x01, 0x00);
    // Slave 1's late answer, then slave 4's.
    const s = scanReceived(Buffer.concat([REPLY, fresh]), toFour);
    expect(kinds(s)).toEqual(['foreign', 'reply']);
    expect(s.items).toEqual([
      { kind: 'foreign', frame: REPLY },
      { kind: 'reply', frame: fresh },
    ]);
    // Slave 1's answer holds 04 04 04 (what slave 4's answer starts with): its length and CRC say where it ends.
    const tricky = frame(0x01, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00);
    expect(kinds(scanReceived(Buffer.concat([tricky, fresh]), toFour))).toEqual(['foreign', 'reply']);
  });

  it('does not take a frame of the right slave and function but another length (another request)', () => {
    const oneRegister = frame(0x01, 0x04, 0x02, 0x00, 0xd2);
    const s = scanReceived(Buffer.concat([oneRegister, REPLY]), expected);
    expect(kinds(s)).toEqual(['foreign', 'reply']);
    expect(s.items[0]).toEqual({ kind: 'foreign', frame: oneRegister });
  });

  it('reports the answer with a bad CRC as corrupt (§2.5.1.2)', () => {
    const bad = Buffer.from(REPLY);
    bad[4]! ^= 0x01;
    expect(scanReceived(bad, expected).items).toEqual([{ kind: 'corrupt', frame: bad }]);
  });

  it('counts bytes that form no frame as noise, and skips the adapter echo of the request', () => {
    const s = scanReceived(Buffer.concat([Buffer.from([0x00, 0xff, 0x13]), REQUEST, REPLY]), expected);
    expect(kinds(s)).toEqual(['noise:3', 'echo', 'reply']);
  });

  it('finds a whole answer behind noise that claims a frame longer than what came', () => {
    // 07 03 FA: the header of a 255-byte answer of slave 7 that will never come.
    const s = scanReceived(Buffer.concat([Buffer.from([0x07, 0x03, 0xfa, 0x11]), REPLY]), expected);
    expect(kinds(s)).toEqual(['noise:4', 'reply']);
  });

  it('keeps what follows the answer for later', () => {
    const extra = frame(0x01, 0x04, 0x04, 0, 0, 0, 0);
    const s = scanReceived(Buffer.concat([REPLY, extra]), expected);
    expect(kinds(s)).toEqual(['reply']);
    expect(s.rest).toEqual(extra);
  });

  it('with no request in flight: whole frames are foreign, a partial one waits, garbage is noise', () => {
    expect(kinds(scanReceived(Buffer.concat([REPLY, REPLY.subarray(0, 4)]), undefined))).toEqual(['foreign']);
    expect(scanReceived(Buffer.concat([REPLY, REPLY.subarray(0, 4)]), undefined).rest).toEqual(
      REPLY.subarray(0, 4),
    );
    const garbled = Buffer.from(REPLY);
    garbled[8]! ^= 0xff;
    // A bad CRC makes no frame: its bytes are noise, byte by byte, until something whole starts.
    const s = scanReceived(Buffer.concat([garbled, REPLY]), undefined);
    expect(kinds(s)).toEqual([`noise:${garbled.length}`, 'foreign']);
  });
});
