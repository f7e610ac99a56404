import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vectorsDir } from '../../../shared/test/vectors-dir.js';
import { decodeBody, encodeMessage, findParam, findParams, type LlrpParam } from '../../src/llrp/codec.js';
import { MessageType, ParamType } from '../../src/llrp/constants.js';
import { decodeRoAccessReport } from '../../src/llrp/tag-report.js';

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

// biome-ignore lint/suspicious/noExplicitAny: the EdgeX JSON twins are untyped
type Json = any;

function frame(type: number, id: number, body: Buffer): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt16BE((1 << 10) | type, 0);
  h.writeUInt32BE(10 + body.byteLength, 2);
  h.writeUInt32BE(id, 6);
  return Buffer.concat([h, body]);
}

const b64 = (v: unknown) => Buffer.from(v as Uint8Array).toString('base64');
const one = (ps: LlrpParam[], t: number) => {
  const p = findParam(ps, t);
  if (!p) throw new Error(`missing parameter ${t}`);
  return p;
};

function checkStatus(params: LlrpParam[], j: Json) {
  const s = one(params, ParamType.LLRPStatus);
  expect(s.fields['StatusCode']).toBe(j.Status);
  expect(s.fields['ErrorDescription']).toBe(j.ErrorDescription);
}

/** Compares what our codec decoded with the independent decode (EdgeX naming) of the same bytes. */
function checkAgainstTwin(kind: string, params: LlrpParam[], j: Json) {
  if (j.LLRPStatus) checkStatus(params, j.LLRPStatus);
  if (kind === 'ROAccessReport') {
    const reports = findParams(params, ParamType.TagReportData);
    expect(reports.length).toBe(j.TagReportData.length);
    reports.forEach((r, i) => {
      const t = j.TagReportData[i];
      expect(b64(one(r.params, ParamType.EPC96).fields['EPC'])).toBe(t.EPC96.EPC);
      expect(one(r.params, ParamType.AntennaID).fields['AntennaID']).toBe(t.AntennaID);
      expect(one(r.params, ParamType.PeakRSSI).fields['PeakRSSI']).toBe(t.PeakRSSI);
      expect(one(r.params, ParamType.FirstSeenTimestampUTC).fields['Microseconds']).toBe(
        BigInt(t.FirstSeenUTC),
      );
      expect(findParam(r.params, ParamType.LastSeenTimestampUTC)).toBe(
        t.LastSeenUTC === null ? undefined : expect.anything(),
      );
      expect(findParam(r.params, ParamType.EPCData)).toBe(
        t.EPCData.EPC === null ? undefined : expect.anything(),
      );
    });
  }
  if (kind === 'ReaderEventNotification') {
    const d = one(params, ParamType.ReaderEventNotificationData);
    const j2 = j.ReaderEventNotificationData;
    expect(one(d.params, ParamType.UTCTimestamp).fields['Microseconds']).toBe(BigInt(j2.UTCTimestamp));
    expect(findParam(d.params, ParamType.ConnectionCloseEvent) !== undefined).toBe(
      j2.ConnectionCloseEvent !== null,
    );
    expect(findParam(d.params, ParamType.ConnectionAttemptEvent) !== undefined).toBe(
      j2.ConnectionAttemptEvent !== null,
    );
  }
  if (kind === 'GetReaderCapabilitiesResponse') {
    const g = one(params, ParamType.GeneralDeviceCapabilities);
    const jg = j.GeneralDeviceCapabilities;
    expect(g.fields['MaxNumberOfAntennaSupported']).toBe(jg.MaxSupportedAntennas);
    expect(g.fields['CanSetAntennaProperties']).toBe(jg.CanSetAntennaProperties);
    expect(g.fields['HasUTCClockCapability']).toBe(jg.HasUTCClock);
    expect(g.fields['DeviceManufacturerName']).toBe(jg.DeviceManufacturer);
    expect(g.fields['ModelName']).toBe(jg.Model);
    expect(g.fields['ReaderFirmwareVersion']).toBe(jg.FirmwareVersion);
    const rs = findParams(g.params, ParamType.ReceiveSensitivityTableEntry).map((p) => ({
      Index: p.fields['Index'],
      ReceiveSensitivity: p.fields['ReceiveSensitivityValue'],
    }));
    expect(rs).toEqual(jg.ReceiveSensitivities);
    const gpio = one(g.params, ParamType.GPIOCapabilities);
    expect({ NumGPIs: gpio.fields['NumGPIs'], NumGPOs: gpio.fields['NumGPOs'] }).toEqual(jg.GPIOCapabilities);
    const air = findParams(g.params, ParamType.PerAntennaAirProtocol).map((p) => ({
      AntennaID: p.fields['AntennaID'],
      AirProtocolIDs: b64(p.fields['ProtocolID']),
    }));
    expect(air).toEqual(jg.PerAntennaAirProtocols);
    const l = one(params, ParamType.LLRPCapabilities).fields;
    const jl = j.LLRPCapabilities;
    expect([
      l['CanDoRFSurvey'],
      l['CanReportBufferFillWarning'],
      l['SupportsClientRequestOpSpec'],
      l['CanDoTagInventoryStateAwareSingulation'],
      l['SupportsEventAndReportHolding'],
      l['MaxNumPriorityLevelsSupported'],
      l['ClientRequestOpSpecTimeout'],
      l['MaxNumROSpecs'],
      l['MaxNumSpecsPerROSpec'],
      l['MaxNumInventoryParameterSpecsPerAISpec'],
      l['MaxNumAccessSpecs'],
      l['MaxNumOpSpecsPerAccessSpec'],
    ]).toEqual([
      jl.CanDoRFSurvey,
      jl.CanReportBufferFillWarning,
      jl.SupportsClientRequestOpSpec,
      jl.CanDoTagInventoryStateAwareSingulation,
      jl.SupportsEventsAndReportHolding,
      jl.MaxPriorityLevelSupported,
      jl.ClientRequestedOpSpecTimeout,
      jl.MaxROSpecs,
      jl.MaxSpecsPerROSpec,
      jl.MaxInventoryParameterSpecsPerAISpec,
      jl.MaxAccessSpecs,
      jl.MaxOpSpecsPerAccessSpec,
    ]);
  }
  if (kind === 'GetReaderConfigResponse') {
    const id = one(params, ParamType.Identification).fields;
    expect(id['IDType']).toBe(j.Identification.IDType);
    expect(b64(id['ReaderID'])).toBe(j.Identification.ReaderID);
    const ap = findParams(params, ParamType.AntennaProperties).map((p) => ({
      AntennaConnected: p.fields['AntennaConnected'],
      AntennaID: p.fields['AntennaID'],
      AntennaGain: p.fields['AntennaGain'],
    }));
    expect(ap).toEqual(j.AntennaProperties);
    const ac = findParams(params, ParamType.AntennaConfiguration);
    expect(ac.map((p) => p.fields['AntennaID'])).toEqual(
      j.AntennaConfigurations.map((a: Json) => a.AntennaID),
    );
    expect(
      ac.map((p) => {
        const t = one(p.params, ParamType.RFTransmitter).fields;
        return {
          HopTableID: t['HopTableID'],
          ChannelIndex: t['ChannelIndex'],
          TransmitPowerIndex: t['TransmitPower'],
        };
      }),
    ).toEqual(j.AntennaConfigurations.map((a: Json) => a.RFTransmitter));
    const ens = findParams(
      one(params, ParamType.ReaderEventNotificationSpec).params,
      ParamType.EventNotificationState,
    );
    expect(
      ens.map((p) => ({
        ReaderEventType: p.fields['EventType'],
        NotificationEnabled: p.fields['NotificationState'],
      })),
    ).toEqual(j.ReaderEventNotificationSpec.EventNotificationStates);
    const rr = one(params, ParamType.ROReportSpec);
    expect(rr.fields['ROReportTrigger']).toBe(j.ROReportSpec.Trigger);
    expect(rr.fields['N']).toBe(j.ROReportSpec.N);
    const sel = one(rr.params, ParamType.TagReportContentSelector).fields;
    const js = j.ROReportSpec.TagReportContentSelector;
    for (const [ours, theirs] of [
      ['EnableROSpecID', 'EnableROSpecID'],
      ['EnableSpecIndex', 'EnableSpecIndex'],
      ['EnableInventoryParameterSpecID', 'EnableInventoryParamSpecID'],
      ['EnableAntennaID', 'EnableAntennaID'],
      ['EnableChannelIndex', 'EnableChannelIndex'],
      ['EnablePeakRSSI', 'EnablePeakRSSI'],
      ['EnableFirstSeenTimestamp', 'EnableFirstSeenTimestamp'],
      ['EnableLastSeenTimestamp', 'EnableLastSeenTimestamp'],
      ['EnableTagSeenCount', 'EnableTagSeenCount'],
      ['EnableAccessSpecID', 'EnableAccessSpecID'],
    ] as const) {
      expect(sel[ours], ours).toBe(js[theirs]);
    }
    expect(one(params, ParamType.AccessReportSpec).fields['AccessReportTrigger']).toBe(j.AccessReportSpec);
    expect(one(params, ParamType.LLRPConfigurationStateValue).fields['LLRPConfigurationStateValue']).toBe(
      j.LLRPConfigurationStateValue,
    );
    const ka = one(params, ParamType.KeepaliveSpec).fields;
    expect({ Trigger: ka['KeepaliveTriggerType'], Interval: ka['PeriodicTriggerValue'] }).toEqual(
      j.KeepAliveSpec,
    );
    expect(
      findParams(params, ParamType.GPIPortCurrentState).map((p) => ({
        Port: p.fields['GPIPortNum'],
        Enabled: p.fields['Config'],
        State: p.fields['State'],
      })),
    ).toEqual(j.GPIPortCurrentStates);
    expect(
      findParams(params, ParamType.GPOWriteData).map((p) => ({
        Port: p.fields['GPOPortNumber'],
        Data: p.fields['GPOData'],
      })),
    ).toEqual(j.GPOWriteData);
    expect(one(params, ParamType.EventsAndReports).fields['HoldEventsAndReportsUponReconnect']).toBe(
      j.EventsAndReports,
    );
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith('.bytes'));

describe('llrp-edgex vectors (real-reader message bodies)', () => {
  it('has vectors to check', () => {
    expect(files.length).toBe(15);
  });
  for (const file of files) {
    const kind = file.replace(/-\d+\.bytes$/, '');
    it(`${file} decodes to its JSON twin and re-encodes to identical bytes`, () => {
      const type = TYPES[kind];
      expect(type, `message type for ${kind}`).toBeDefined();
      const body = readFileSync(join(dir, file));
      const twin = JSON.parse(readFileSync(join(dir, file.replace('.bytes', '.json')), 'utf8'));
      const msg = decodeBody(type!, 42, body);
      checkAgainstTwin(kind, msg.params, twin);
      const framed = frame(type!, 42, body);
      expect(encodeMessage(msg).equals(framed)).toBe(true);
      if (kind === 'ROAccessReport') {
        const [t] = decodeRoAccessReport(framed);
        const jt = twin.TagReportData[0];
        expect(Buffer.from(t!.epc, 'hex').toString('base64')).toBe(jt.EPC96.EPC);
        expect([t!.antennaId, t!.peakRssi, t!.firstSeenUs, t!.lastSeenUs]).toEqual([
          jt.AntennaID,
          jt.PeakRSSI,
          jt.FirstSeenUTC,
          jt.LastSeenUTC,
        ]);
      }
    });
  }
});
