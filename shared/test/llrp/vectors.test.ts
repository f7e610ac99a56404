import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeMessage, type LlrpParam } from '../../src/llrp/codec.js';
import { MessageType } from '../../src/llrp/constants.js';
import { decodeRoAccessReport } from '../../src/llrp/tag-report.js';
import { vectorsDir } from '../vectors-dir.js';
import { checkTwin, type Json, mutations } from './edgex-twin.js';

const dir = vectorsDir('llrp-edgex');

const TYPES: Record<string, number> = {
  CloseConnectionResponse: MessageType.CLOSE_CONNECTION_RESPONSE,
  GetAccessSpecsResponse: MessageType.GET_ACCESSSPECS_RESPONSE,
  GetROSpecsResponse: MessageType.GET_ROSPECS_RESPONSE,
  GetReaderCapabilitiesResponse: MessageType.GET_READER_CAPABILITIES_RESPONSE,
  GetReaderConfigResponse: MessageType.GET_READER_CONFIG_RESPONSE,
  ROAccessReport: MessageType.RO_ACCESS_REPORT,
  ReaderEventNotification: MessageType.READER_EVENT_NOTIFICATION,
};

function frame(type: number, id: number, body: Buffer): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt16BE((1 << 10) | type, 0);
  h.writeUInt32BE(10 + body.byteLength, 2);
  h.writeUInt32BE(id, 6);
  return Buffer.concat([h, body]);
}

function rawParams(ps: LlrpParam[], out: number[] = []): number[] {
  for (const p of ps) {
    if (p.raw !== undefined) out.push(p.type);
    rawParams(p.params, out);
  }
  return out;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.bytes'));
const load = (file: string) => {
  const kind = file.replace(/-\d+\.bytes$/, '');
  const type = TYPES[kind];
  if (type === undefined) throw new Error(`no message type for ${kind}`);
  const body = readFileSync(join(dir, file));
  const twin: Json = JSON.parse(readFileSync(join(dir, file.replace('.bytes', '.json')), 'utf8'));
  return { kind, type, body, twin, msg: decodeBody(type, 42, body) };
};

describe('llrp-edgex vectors (real-reader message bodies)', () => {
  it('has vectors to check', () => {
    expect(files.length).toBe(15);
  });

  for (const file of files) {
    it(`${file} decodes to every value of its JSON twin and re-encodes to identical bytes`, () => {
      const { type, body, twin, msg } = load(file);
      expect(msg.errors).toBeUndefined();
      expect(rawParams(msg.params), 'parameters left undecoded').toEqual([]);
      checkTwin(msg, twin);
      expect(encodeMessage(msg).equals(frame(type, 42, body))).toBe(true);
    });

    it(`${file}: changing any single value of the twin makes the comparison fail`, () => {
      const { twin, msg } = load(file);
      const unnoticed: string[] = [];
      let n = 0;
      for (const [what, changed] of mutations(twin)) {
        n += 1;
        try {
          checkTwin(msg, changed);
          unnoticed.push(what);
        } catch {
          // noticed, as it must be
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(unnoticed).toEqual([]);
    });
  }

  it('the fast RO_ACCESS_REPORT decoder agrees with every twin', () => {
    for (const file of files.filter((f) => f.startsWith('ROAccessReport'))) {
      const { type, body, twin } = load(file);
      const reads = decodeRoAccessReport(frame(type, 42, body));
      expect(reads.length).toBe(twin.TagReportData.length);
      reads.forEach((t, i) => {
        const j = twin.TagReportData[i];
        expect(Buffer.from(t.epc, 'hex').toString('base64'), file).toBe(j.EPC96.EPC);
        expect(t, file).toEqual({
          epc: t.epc,
          antennaId: j.AntennaID,
          peakRssi: j.PeakRSSI,
          firstSeenUs: j.FirstSeenUTC,
          lastSeenUs: j.LastSeenUTC,
          seenCount: j.TagSeenCount ?? 1,
          rospecId: j.ROSpecID,
          channelIndex: j.ChannelIndex,
        });
      });
    }
  });
});
