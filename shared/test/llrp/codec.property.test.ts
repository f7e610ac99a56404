import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type LlrpMessage, param } from '../../src/llrp/codec.js';
import { MessageType, ParamType } from '../../src/llrp/constants.js';
import { LlrpFramer } from '../../src/llrp/framer.js';
import {
  buildROSpec,
  buildSetReaderConfig,
  encodeRoAccessReport,
  message,
  readerEventNotification,
  statusParam,
  tagReportDataParam,
} from '../../src/llrp/messages.js';
import { decodeRoAccessReport, type TagRead } from '../../src/llrp/tag-report.js';

const hexWords = (min: number, max: number) =>
  fc.uint8Array({ minLength: min * 2, maxLength: max * 2 }).map((b) => {
    const even = b.byteLength % 2 === 0 ? b : b.subarray(0, b.byteLength - 1);
    return Buffer.from(even).toString('hex').toUpperCase();
  });

const tagRead: fc.Arbitrary<TagRead> = fc.record({
  epc: fc.oneof(hexWords(6, 6), hexWords(2, 31)),
  antennaId: fc.option(fc.integer({ min: 0, max: 65535 })),
  peakRssi: fc.option(fc.integer({ min: -128, max: 127 })),
  firstSeenUs: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  lastSeenUs: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  seenCount: fc.integer({ min: 0, max: 65535 }),
  rospecId: fc.option(fc.integer({ min: 0, max: 0xffffffff })),
  channelIndex: fc.option(fc.integer({ min: 0, max: 65535 })),
});

const id = fc.integer({ min: 0, max: 0xffffffff });
const anyMessage: fc.Arbitrary<LlrpMessage> = fc.oneof(
  fc
    .tuple(id, fc.array(tagRead, { maxLength: 20 }))
    .map(([i, ts]) => message(MessageType.RO_ACCESS_REPORT, i, {}, ts.map(tagReportDataParam))),
  fc
    .tuple(
      id,
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 8 }),
      fc.integer({ min: 0, max: 65535 }),
    )
    .map(([i, r, ants, n]) =>
      message(MessageType.ADD_ROSPEC, i, {}, [
        buildROSpec({ rospecId: r, antennas: ants, reportEveryTags: n }),
      ]),
    ),
  fc.tuple(id, fc.integer({ min: 0, max: 0xffffffff })).map(([i, k]) => buildSetReaderConfig(i, k)),
  fc
    .tuple(id, fc.constantFrom(21, 22, 23, 24, 25), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([i, t, r]) => message(t, i, { ROSpecID: r })),
  fc
    .tuple(
      id,
      fc.constantFrom(4, 13, 30, 31, 32, 33, 34, 35, 100),
      fc.integer({ min: 0, max: 65535 }),
      fc.string(),
    )
    .map(([i, t, c, d]) => message(t, i, {}, [statusParam(c, d)])),
  fc.tuple(id, fc.constantFrom(62, 72, 14)).map(([i, t]) => message(t, i)),
  fc
    .tuple(id, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2 ** 52 }))
    .map(([i, s, us]) =>
      readerEventNotification(i, us, param(ParamType.ConnectionAttemptEvent, { Status: s })),
    ),
  // a vendor (Custom) parameter and an unknown parameter are kept and re-encoded verbatim
  fc
    .tuple(id, fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 900, max: 1000 }))
    .map(([i, data, t]) =>
      message(MessageType.RO_ACCESS_REPORT, i, {}, [
        param(ParamType.Custom, { VendorIdentifier: 25882, ParameterSubtype: 7, Data: data }),
        { type: t, fields: {}, params: [], raw: data },
      ]),
    ),
);

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Capabilities and configuration with packed sub-byte fields and u32 lists (LLRP 1.0.1 §16.2.3, §16.3.1). */
const capsAndConfig: fc.Arbitrary<LlrpMessage> = fc
  .record({
    id,
    country: u16,
    hops: fc.array(u32, { maxLength: 60 }),
    hopTable: fc.integer({ min: 0, max: 255 }),
    modes: fc.array(
      fc.record({
        ModeIdentifier: u32,
        DR: fc.integer({ min: 0, max: 1 }),
        EPCHAGTandCConformance: fc.boolean(),
        Mod: fc.integer({ min: 0, max: 3 }),
        BDR: u32,
        MinTari: u32,
      }),
      { maxLength: 5 },
    ),
    session: fc.integer({ min: 0, max: 3 }),
    population: u16,
    transit: u32,
    blockWrite: fc.boolean(),
  })
  .map((r) =>
    message(MessageType.GET_READER_CAPABILITIES_RESPONSE, r.id, {}, [
      statusParam(0),
      param(ParamType.RegulatoryCapabilities, { CountryCode: r.country, CommunicationsStandard: 1 }, [
        param(ParamType.UHFBandCapabilities, {}, [
          param(ParamType.TransmitPowerLevelTableEntry, { Index: 1, TransmitPowerValue: -100 }),
          param(ParamType.FrequencyInformation, { Hopping: true }, [
            param(ParamType.FrequencyHopTable, { HopTableID: r.hopTable, Reserved: 0, Frequency: r.hops }),
          ]),
          param(
            ParamType.UHFC1G2RFModeTable,
            {},
            r.modes.map((m) =>
              param(ParamType.UHFC1G2RFModeTableEntry, {
                ...m,
                FLM: 0,
                M: 2,
                PIE: 1500,
                MaxTari: m.MinTari,
                StepTari: 0,
              }),
            ),
          ),
        ]),
      ]),
      param(ParamType.C1G2LLRPCapabilities, {
        CanSupportBlockErase: false,
        CanSupportBlockWrite: r.blockWrite,
        CanSupportBlockPermalock: false,
        CanSupportTagRecommissioning: false,
        CanSupportUMIMethod2: false,
        CanSupportXPC: false,
        MaxNumSelectFiltersPerQuery: 2,
      }),
      param(ParamType.AntennaConfiguration, { AntennaID: 1 }, [
        param(ParamType.C1G2InventoryCommand, { TagInventoryStateAware: false }, [
          param(ParamType.C1G2SingulationControl, {
            Session: r.session,
            TagPopulation: r.population,
            TagTransitTime: r.transit,
          }),
        ]),
      ]),
    ]),
  );

describe('LLRP codec properties', () => {
  it('capability and configuration parameters decode to the values they were built from', () => {
    fc.assert(
      fc.property(capsAndConfig, (m) => {
        const back = decodeMessage(encodeMessage(m));
        expect(back.params).toEqual(m.params);
        expect(encodeMessage(back).equals(encodeMessage(m))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('encode → decode → encode is the identity on random messages', () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        const bytes = encodeMessage(m);
        const back = decodeMessage(bytes);
        expect(back.id).toBe(m.id);
        expect(back.type).toBe(m.type);
        expect(encodeMessage(back).equals(bytes)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the fast RO_ACCESS_REPORT path agrees with the generic encoder and decodes what was sent', () => {
    fc.assert(
      fc.property(id, fc.array(tagRead, { maxLength: 30 }), (i, ts) => {
        const fast = encodeRoAccessReport(i, ts);
        const generic = encodeMessage(
          message(MessageType.RO_ACCESS_REPORT, i, {}, ts.map(tagReportDataParam)),
        );
        expect(fast.equals(generic)).toBe(true);
        expect(decodeRoAccessReport(fast)).toEqual(ts);
      }),
    );
  });

  it('any chunking of a byte stream yields the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessage, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map(encodeMessage));
          const got: Buffer[] = [];
          const framer = new LlrpFramer((f) => got.push(Buffer.from(f)));
          let p = 0;
          let k = 0;
          while (p < stream.byteLength) {
            const n = cuts[k++ % cuts.length]!;
            framer.push(stream.subarray(p, p + n));
            p += n;
          }
          expect(got.map((g) => g.toString('hex'))).toEqual(
            msgs.map((m) => encodeMessage(m).toString('hex')),
          );
          expect(framer.buffered).toBe(0);
        },
      ),
    );
  });

  it('malformed input gives a typed error, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (junk) => {
        const h = Buffer.alloc(10);
        h.writeUInt16BE((1 << 10) | MessageType.RO_ACCESS_REPORT, 0);
        h.writeUInt32BE(10 + junk.byteLength, 2);
        const frame = Buffer.concat([h, junk]);
        for (const decode of [() => decodeMessage(frame), () => decodeRoAccessReport(frame)]) {
          try {
            decode();
          } catch (err) {
            expect((err as { code?: string }).code).toMatch(/^llrp_/);
          }
        }
        const framer = new LlrpFramer(() => {});
        try {
          framer.push(junk);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('llrp_framing');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
