import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readerCapabilitiesOf } from '../../src/llrp/capabilities.js';
import { decodeBody, type LlrpMessage } from '../../src/llrp/codec.js';
import { MessageType } from '../../src/llrp/constants.js';
import { message } from '../../src/llrp/messages.js';
import { vectorsDir } from '../vectors-dir.js';

/** A real reader's GET_READER_CAPABILITIES_RESPONSE (EdgeX capture, an Impinj reader), decoded. */
function edgexCapabilities(): LlrpMessage {
  const body = readFileSync(join(vectorsDir('llrp-edgex'), 'GetReaderCapabilitiesResponse-000.bytes'));
  return decodeBody(MessageType.GET_READER_CAPABILITIES_RESPONSE, 1, body);
}

describe('reader capabilities (LLRP 1.0.1 §16.2.3) from a real reader', () => {
  it('reads the antennas, power and sensitivity tables, hop table and RF modes', () => {
    const caps = readerCapabilitiesOf(edgexCapabilities());
    expect(caps).toMatchObject({
      manufacturer: 25882, // Impinj's IANA Private Enterprise Number
      maxAntennas: 4,
      c1g2Antennas: [1, 2, 3, 4],
      hopping: true,
      hopTableIds: [1],
      fixedChannels: 0,
      rfModes: [0, 1, 2, 3, 4, 1000, 1002, 1003, 1004, 1005],
      stateAwareSingulation: false,
    });
    // TransmitPowerValue is dBm × 100 (§16.2.3.4.1.1): 10.00 to 30.00 dBm in 0.25 dB steps.
    expect(caps.transmitPower).toHaveLength(81);
    expect(caps.transmitPower[0]).toEqual({ index: 1, dBm: 10 });
    expect(caps.transmitPower[1]).toEqual({ index: 2, dBm: 10.25 });
    expect(caps.transmitPower.at(-1)).toEqual({ index: 81, dBm: 30 });
    expect(caps.receiveSensitivity.slice(0, 3)).toEqual([
      { index: 1, dB: 0 },
      { index: 2, dB: 10 },
      { index: 3, dB: 11 },
    ]);
    expect(caps.sensitivityRange.size).toBe(0);
  });

  it('leaves what a response lacks empty rather than failing', () => {
    expect(readerCapabilitiesOf(message(MessageType.GET_READER_CAPABILITIES_RESPONSE, 1))).toEqual({
      manufacturer: 0,
      maxAntennas: 0,
      c1g2Antennas: [],
      transmitPower: [],
      receiveSensitivity: [],
      sensitivityRange: new Map(),
      hopping: false,
      hopTableIds: [],
      fixedChannels: 0,
      rfModes: [],
      stateAwareSingulation: false,
    });
  });
});
