import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColdtraceError } from '../../src/errors.js';
import { decodeBody, decodeMessage, decodeParams, encodeMessage } from '../../src/llrp/codec.js';
import { MessageType, ParamType } from '../../src/llrp/constants.js';
import { LlrpFramer } from '../../src/llrp/framer.js';
import { buildROSpec, encodeRoAccessReport, message, tagReportDataParam } from '../../src/llrp/messages.js';
import { decodeRoAccessReport, decodeTagReports, type TagRead } from '../../src/llrp/tag-report.js';

const read = (i: number): TagRead => ({
  epc: `30340242201D8840009F${i.toString(16).toUpperCase().padStart(4, '0')}`,
  antennaId: 1 + (i % 4),
  peakRssi: -40 - (i % 80),
  firstSeenUs: 1_700_000_000_000_000 + i,
  lastSeenUs: null,
  seenCount: 1,
  rospecId: null,
  channelIndex: null,
});

/** A TLV parameter with the given type and raw body. */
function tlv(type: number, body: Uint8Array): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(4 + body.byteLength, 2);
  return Buffer.concat([h, body]);
}

/** An RO_ACCESS_REPORT frame from parameter bytes. */
function report(params: Buffer[]): Buffer {
  const body = Buffer.concat(params);
  const h = Buffer.alloc(10);
  h.writeUInt16BE((1 << 10) | MessageType.RO_ACCESS_REPORT, 0);
  h.writeUInt32BE(10 + body.byteLength, 2);
  h.writeUInt32BE(9, 6);
  return Buffer.concat([h, body]);
}

const tagReportBytes = (t: TagRead) => encodeRoAccessReport(0, [t]).subarray(10);
/** A TagReportData whose framing is intact but whose content starts with an unknown TV type (127). */
const junkTagReport = (junk: Uint8Array) =>
  tlv(ParamType.TagReportData, Buffer.concat([Buffer.from([0xff]), junk]));

describe('LLRP codec edges (LLRP 1.0.1 §16.2.1: a bad parameter inside intact framing)', () => {
  it('keeps the well-formed TagReportData around a malformed one and reports it as a typed error', () => {
    const frame = report([
      tagReportBytes(read(1)),
      junkTagReport(Buffer.from([1, 2, 3])),
      tagReportBytes(read(2)),
    ]);
    const errors: ColdtraceError[] = [];
    expect(decodeRoAccessReport(frame, [], errors)).toEqual([read(1), read(2)]);
    expect(errors.map((e) => [e.code, e.details?.['index']])).toEqual([['llrp_malformed_tag_report', 1]]);
    // Without a sink the strict decoder still refuses the message.
    expect(() => decodeRoAccessReport(frame)).toThrow(expect.objectContaining({ code: 'llrp_malformed' }));
  });

  it('drops the whole report when the TLV framing itself is broken', () => {
    const broken = tlv(ParamType.TagReportData, Buffer.alloc(0));
    broken.writeUInt16BE(400, 2); // runs past the message
    const frame = report([tagReportBytes(read(1)), broken]);
    const out: TagRead[] = [];
    expect(() => decodeTagReports(frame, 10, frame.byteLength, out, [])).toThrow(
      expect.objectContaining({ code: 'llrp_malformed' }),
    );
  });

  it('property: any malformed TagReportData costs only itself', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(0xffff).map(read), fc.uint8Array({ maxLength: 40 })), { maxLength: 12 }),
        (items) => {
          const frame = report(
            items.map((x) => (x instanceof Uint8Array ? junkTagReport(x) : tagReportBytes(x))),
          );
          const errors: ColdtraceError[] = [];
          const reads = decodeRoAccessReport(frame, [], errors);
          expect(reads).toEqual(items.filter((x) => !(x instanceof Uint8Array)));
          expect(errors.length).toBe(items.filter((x) => x instanceof Uint8Array).length);
          for (const e of errors) expect(e.code).toBe('llrp_malformed_tag_report');
        },
      ),
    );
  });

  it('skips a Custom parameter shorter than 12 bytes with a typed error; the rest of the message decodes', () => {
    const good = encodeMessage(
      message(MessageType.RO_ACCESS_REPORT, 3, {}, [
        tagReportDataParam(read(1)),
        tagReportDataParam(read(2)),
      ]),
    );
    const shortCustom = tlv(ParamType.Custom, Buffer.from([0, 0, 0x65, 0x1a, 0])); // 9 bytes: vendor + 1
    const body = Buffer.concat([good.subarray(10, good.byteLength), shortCustom]);
    const msg = decodeBody(MessageType.RO_ACCESS_REPORT, 3, body);
    expect(msg.params.filter((p) => p.type === ParamType.TagReportData).length).toBe(2);
    expect(msg.errors?.map((e) => [e.code, e.details?.['type'], e.details?.['length']])).toEqual([
      ['llrp_malformed_param', ParamType.Custom, 9],
    ]);
    // Kept verbatim: the message re-encodes to the same bytes.
    const h = Buffer.from(good.subarray(0, 10));
    h.writeUInt32BE(10 + body.byteLength, 2);
    expect(encodeMessage(msg).equals(Buffer.concat([h, body]))).toBe(true);
    // Nested inside another parameter (here an AISpec) it is skipped the same way.
    const spec = buildROSpec({ rospecId: 1, antennas: [1], reportEveryTags: 1 });
    const ai = spec.params.find((x) => x.type === ParamType.AISpec)!;
    ai.params.push({ type: ParamType.Custom, fields: {}, params: [], raw: Buffer.alloc(5) });
    const add = decodeMessage(encodeMessage(message(MessageType.ADD_ROSPEC, 4, {}, [spec])));
    expect(add.errors?.map((e) => e.code)).toEqual(['llrp_malformed_param']);
    expect(add.params[0]!.params.map((x) => x.type)).toEqual(spec.params.map((x) => x.type));
    // A Custom parameter of at least 12 bytes decodes normally.
    const ok = decodeParams(tlv(ParamType.Custom, Buffer.from([0, 0, 0x65, 0x1a, 0, 0, 0, 7, 0xab])));
    expect(ok[0]).toMatchObject({ fields: { VendorIdentifier: 25882, ParameterSubtype: 7 } });
    // Strict callers (no error sink) still get the typed error.
    expect(() => decodeParams(shortCustom)).toThrow(expect.objectContaining({ code: 'llrp_malformed' }));
    expect(() => decodeParams(shortCustom, 0, shortCustom.byteLength, [])).not.toThrow();
  });

  it('a truncated TLV is still fatal for the message (framing is broken)', () => {
    const body = Buffer.concat([tlv(ParamType.Custom, Buffer.alloc(2)).subarray(0, 5)]);
    expect(() => decodeBody(MessageType.RO_ACCESS_REPORT, 1, body)).toThrow(
      expect.objectContaining({ code: 'llrp_malformed' }),
    );
  });
});

describe('LLRP framer versions (LLRP 1.0.1 §16.1.35: an unsupported version is answered, not fatal)', () => {
  const v2 = encodeMessage({
    ...message(MessageType.GET_READER_CONFIG, 77),
    version: 2,
    raw: new Uint8Array(7),
  });

  it('takes a version other than 1 for a stream out of sync, unless told to deliver it', () => {
    expect(v2.readUInt16BE(0) >> 10).toBe(2);
    expect(() => new LlrpFramer(() => {}).push(v2)).toThrow(
      expect.objectContaining({ code: 'llrp_framing', details: expect.objectContaining({ version: 2 }) }),
    );
    const got: [number, number, number, number][] = [];
    const f = new LlrpFramer((frame, type, id, version) => got.push([frame.byteLength, type, id, version]), {
      anyVersion: true,
    });
    f.push(Buffer.concat([v2, encodeMessage(message(MessageType.KEEPALIVE_ACK, 78))]));
    expect(got).toEqual([
      [17, MessageType.GET_READER_CONFIG, 77, 2],
      [10, MessageType.KEEPALIVE_ACK, 78, 1],
    ]);
    // Version 0 is no version at all: still out of sync.
    const v0 = Buffer.from(v2);
    v0.writeUInt16BE(v0.readUInt16BE(0) & 0x3ff, 0);
    expect(() => f.push(v0)).toThrow(expect.objectContaining({ code: 'llrp_framing' }));
  });
});
