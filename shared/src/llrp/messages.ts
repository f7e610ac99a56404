import { ColdtraceError } from '../errors.js';
import { findParam, type LlrpMessage, type LlrpParam, param, tvParam } from './codec.js';
import {
  LLRP_HEADER_BYTES,
  MessageType,
  NotificationEventType,
  ParamType,
  ROReportTrigger,
} from './constants.js';
import { impinjSearchModeParam } from './impinj.js';
import type { TagRead } from './tag-report.js';

export {
  fieldErrorParam,
  formatStatus,
  isSuccess,
  type LlrpFieldError,
  type LlrpParameterError,
  type LlrpStatus,
  parameterErrorParam,
  statusName,
  statusOf,
  statusParam,
} from './status.js';

/** Builds a message value. */
export function message(
  type: number,
  id: number,
  fields: LlrpMessage['fields'] = {},
  params: LlrpParam[] = [],
) {
  return { type, id, fields, params } satisfies LlrpMessage;
}

/** The events inside a READER_EVENT_NOTIFICATION (LLRP 1.0.1 §16.2.7.6). */
export interface ReaderEvents {
  utcUs?: number;
  connectionAttempt?: number;
  connectionClose?: boolean;
  rospec?: { eventType: number; rospecId: number };
  antenna?: { eventType: number; antennaId: number };
  exception?: string;
  bufferWarningPercent?: number;
  bufferOverflow?: boolean;
}

export function readerEventsOf(msg: LlrpMessage): ReaderEvents {
  const data = findParam(msg.params, ParamType.ReaderEventNotificationData);
  if (data === undefined) {
    throw new ColdtraceError(
      'llrp_malformed',
      'READER_EVENT_NOTIFICATION without ReaderEventNotificationData',
    );
  }
  const ev: ReaderEvents = {};
  for (const p of data.params) {
    switch (p.type) {
      case ParamType.UTCTimestamp:
        ev.utcUs = Number(p.fields['Microseconds']);
        break;
      case ParamType.ConnectionAttemptEvent:
        ev.connectionAttempt = Number(p.fields['Status']);
        break;
      case ParamType.ConnectionCloseEvent:
        ev.connectionClose = true;
        break;
      case ParamType.ROSpecEvent:
        ev.rospec = { eventType: Number(p.fields['EventType']), rospecId: Number(p.fields['ROSpecID']) };
        break;
      case ParamType.AntennaEvent:
        ev.antenna = { eventType: Number(p.fields['EventType']), antennaId: Number(p.fields['AntennaID']) };
        break;
      case ParamType.ReaderExceptionEvent:
        ev.exception = String(p.fields['Message']);
        break;
      case ParamType.ReportBufferLevelWarningEvent:
        ev.bufferWarningPercent = Number(p.fields['ReportBufferPercentageFull']);
        break;
      case ParamType.ReportBufferOverflowErrorEvent:
        ev.bufferOverflow = true;
        break;
    }
  }
  return ev;
}

/** A READER_EVENT_NOTIFICATION carrying a timestamp and one event parameter. */
export function readerEventNotification(id: number, utcUs: number, event: LlrpParam): LlrpMessage {
  return message(MessageType.READER_EVENT_NOTIFICATION, id, {}, [
    param(ParamType.ReaderEventNotificationData, {}, [
      param(ParamType.UTCTimestamp, { Microseconds: BigInt(Math.round(utcUs)) }),
      event,
    ]),
  ]);
}

/**
 * One antenna's radio settings as indexes into the reader's tables (LLRP 1.0.1 §16.2.6.6
 * AntennaConfiguration); what is left out stays at the reader's own setting.
 */
export interface AntennaRadioConfig {
  antennaId: number;
  /** RFReceiver (§16.2.6.7): index into the ReceiveSensitivityTable. */
  receiverSensitivityIndex?: number;
  /** RFTransmitter (§16.2.6.8): hop table (hopping regions), one-based fixed channel, TransmitPower index. */
  transmitter?: { hopTableId: number; channelIndex: number; powerIndex: number };
  /** C1G2RFControl (§16.3.1.2.1.2) ModeIndex: the mode's ModeIdentifier; Tari 0 lets the reader choose. */
  rfMode?: number;
  /** C1G2SingulationControl (§16.3.1.2.1.3): Gen2 session, expected tag population, transit time (ms). */
  singulation?: { session: number; tagPopulation: number; tagTransitTimeMs: number };
  /** Impinj readers only: ImpinjInventorySearchMode, an `IMPINJ_SEARCH_MODES` value (`impinj.ts`). */
  searchMode?: number;
}

export interface ROSpecOptions {
  rospecId: number;
  /** Antennas to inventory; [0] = all (LLRP 1.0.1 §16.2.4.2). */
  antennas: number[];
  /** ROReportTrigger N: report every N tags (0 = only at the end of the ROSpec / on GET_REPORT). */
  reportEveryTags: number;
  /** Radio settings per antenna, in the InventoryParameterSpec (§16.2.4.2.2). */
  antennaConfigs?: readonly AntennaRadioConfig[];
}

/** LLRP 1.0.1 §16.2.6.6 AntennaConfiguration with the C1G2 inventory settings (§16.3.1.2.1) it carries. */
export function antennaConfigurationParam(a: AntennaRadioConfig): LlrpParam {
  const params: LlrpParam[] = [];
  if (a.receiverSensitivityIndex !== undefined)
    params.push(param(ParamType.RFReceiver, { ReceiverSensitivity: a.receiverSensitivityIndex }));
  if (a.transmitter !== undefined) {
    params.push(
      param(ParamType.RFTransmitter, {
        HopTableID: a.transmitter.hopTableId,
        ChannelIndex: a.transmitter.channelIndex,
        TransmitPower: a.transmitter.powerIndex,
      }),
    );
  }
  const c1g2: LlrpParam[] = [];
  if (a.rfMode !== undefined) c1g2.push(param(ParamType.C1G2RFControl, { ModeIndex: a.rfMode, Tari: 0 }));
  if (a.singulation !== undefined) {
    c1g2.push(
      param(ParamType.C1G2SingulationControl, {
        Session: a.singulation.session,
        TagPopulation: a.singulation.tagPopulation,
        TagTransitTime: a.singulation.tagTransitTimeMs,
      }),
    );
  }
  // LLRP 1.0.1 §16.2.9: Custom parameters follow the standard sub-parameters of C1G2InventoryCommand.
  if (a.searchMode !== undefined) c1g2.push(impinjSearchModeParam(a.searchMode));
  if (c1g2.length > 0)
    params.push(param(ParamType.C1G2InventoryCommand, { TagInventoryStateAware: false }, c1g2));
  return param(ParamType.AntennaConfiguration, { AntennaID: a.antennaId }, params);
}

/**
 * LLRP 1.0.1 §16.2.4.1 ROSpec: null start trigger (started by START_ROSPEC), null stop trigger, one AISpec
 * running until stopped, Gen2 inventory (with the antennas' radio settings, if any), report upon N tags
 * with antenna, RSSI, first/last seen, count.
 */
export function buildROSpec(o: ROSpecOptions): LlrpParam {
  return param(ParamType.ROSpec, { ROSpecID: o.rospecId, Priority: 0, CurrentState: 0 }, [
    param(ParamType.ROBoundarySpec, {}, [
      param(ParamType.ROSpecStartTrigger, { ROSpecStartTriggerType: 0 }),
      param(ParamType.ROSpecStopTrigger, { ROSpecStopTriggerType: 0, DurationTriggerValue: 0 }),
    ]),
    param(ParamType.AISpec, { AntennaIDs: o.antennas.length > 0 ? o.antennas : [0] }, [
      param(ParamType.AISpecStopTrigger, { AISpecStopTriggerType: 0, DurationTrigger: 0 }),
      param(
        ParamType.InventoryParameterSpec,
        { InventoryParameterSpecID: 1, ProtocolID: 1 },
        (o.antennaConfigs ?? []).map(antennaConfigurationParam),
      ),
    ]),
    param(
      ParamType.ROReportSpec,
      { ROReportTrigger: ROReportTrigger.UponNTagsOrEndOfROSpec, N: o.reportEveryTags },
      [
        param(ParamType.TagReportContentSelector, {
          EnableROSpecID: true,
          EnableSpecIndex: false,
          EnableInventoryParameterSpecID: false,
          EnableAntennaID: true,
          EnableChannelIndex: false,
          EnablePeakRSSI: true,
          EnableFirstSeenTimestamp: true,
          EnableLastSeenTimestamp: true,
          EnableTagSeenCount: true,
          EnableAccessSpecID: false,
        }),
      ],
    ),
  ]);
}

/**
 * The reader events the connector acts on, per the LLRP 1.0.1 §16.2.7.5 event type table: ROSpec
 * start/end/preemption (2), report buffer fill warning and overflow (3), reader exceptions (4) and antenna
 * connect/disconnect (8). Hopping (0), GPI (1), RFSurvey (5) and AISpec events (6, 7) carry nothing a
 * portal uses and are switched off explicitly rather than left at the vendor's factory default.
 */
export const CONNECTOR_EVENTS: Readonly<Record<number, boolean>> = {
  [NotificationEventType.UponHoppingToNextChannel]: false,
  [NotificationEventType.GPIEvent]: false,
  [NotificationEventType.ROSpecEvent]: true,
  [NotificationEventType.ReportBufferFillWarning]: true,
  [NotificationEventType.ReaderExceptionEvent]: true,
  [NotificationEventType.RFSurveyEvent]: false,
  [NotificationEventType.AISpecEvent]: false,
  [NotificationEventType.AISpecEventWithDetails]: false,
  [NotificationEventType.AntennaEvent]: true,
};

/**
 * LLRP 1.0.1 §16.1.38 SET_READER_CONFIG: factory reset unless `factoryReset` is false (the reader then
 * keeps the radio tuning done on it), periodic keepalives (§16.2.6.4), the reader events the connector
 * needs (§16.2.7.5, `CONNECTOR_EVENTS`), and no holding of events across reconnects (§16.2.6.10).
 */
export function buildSetReaderConfig(
  id: number,
  keepaliveMs: number,
  o: { factoryReset?: boolean } = {},
): LlrpMessage {
  const events = Object.entries(CONNECTOR_EVENTS).map(([t, on]) =>
    param(ParamType.EventNotificationState, { EventType: Number(t), NotificationState: on }),
  );
  const fields = { ResetToFactoryDefault: o.factoryReset ?? true };
  return message(MessageType.SET_READER_CONFIG, id, fields, [
    param(ParamType.ReaderEventNotificationSpec, {}, events),
    param(ParamType.KeepaliveSpec, {
      KeepaliveTriggerType: keepaliveMs > 0 ? 1 : 0,
      PeriodicTriggerValue: keepaliveMs,
    }),
    param(ParamType.EventsAndReports, { HoldEventsAndReportsUponReconnect: false }),
  ]);
}

/** Generic TagReportData as codec parameters (for tests and the generic path). */
export function tagReportDataParam(t: TagRead): LlrpParam {
  const params: LlrpParam[] = [];
  if (t.epc.length === 24) params.push(tvParam(ParamType.EPC96, { EPC: Buffer.from(t.epc, 'hex') }));
  else
    params.push(
      param(ParamType.EPCData, { EPC: { bits: t.epc.length * 4, data: Buffer.from(t.epc, 'hex') } }),
    );
  if (t.rospecId !== null) params.push(tvParam(ParamType.ROSpecID, { ROSpecID: t.rospecId }));
  if (t.antennaId !== null) params.push(tvParam(ParamType.AntennaID, { AntennaID: t.antennaId }));
  if (t.peakRssi !== null) params.push(tvParam(ParamType.PeakRSSI, { PeakRSSI: t.peakRssi }));
  if (t.channelIndex !== null) params.push(tvParam(ParamType.ChannelIndex, { ChannelIndex: t.channelIndex }));
  if (t.firstSeenUs !== null) {
    params.push(tvParam(ParamType.FirstSeenTimestampUTC, { Microseconds: BigInt(t.firstSeenUs) }));
  }
  if (t.lastSeenUs !== null) {
    params.push(tvParam(ParamType.LastSeenTimestampUTC, { Microseconds: BigInt(t.lastSeenUs) }));
  }
  params.push(tvParam(ParamType.TagSeenCount, { TagCount: t.seenCount }));
  return param(ParamType.TagReportData, {}, params);
}

function writeU64(buf: Buffer, off: number, v: number): void {
  buf.writeUInt32BE(Math.floor(v / 4294967296), off);
  buf.writeUInt32BE(v >>> 0, off + 4);
}

/**
 * Fast encoder of an RO_ACCESS_REPORT (LLRP 1.0.1 §16.1.23) with EPC-96 tags; same bytes as the generic
 * encoder given `tagReportDataParam`. Used by the simulator and the benchmark.
 */
export function encodeRoAccessReport(id: number, reads: readonly TagRead[]): Buffer {
  let size = LLRP_HEADER_BYTES;
  for (const t of reads) size += tagReportSize(t);
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt16BE((1 << 10) | MessageType.RO_ACCESS_REPORT, 0);
  buf.writeUInt32BE(size, 2);
  buf.writeUInt32BE(id >>> 0, 6);
  let p = LLRP_HEADER_BYTES;
  for (const t of reads) {
    const start = p;
    const len = tagReportSize(t);
    buf.writeUInt16BE(ParamType.TagReportData, p);
    buf.writeUInt16BE(len, p + 2);
    p += 4;
    if (t.epc.length === 24) {
      buf[p] = 0x80 | ParamType.EPC96;
      buf.write(t.epc, p + 1, 12, 'hex');
      p += 13;
    } else {
      const n = t.epc.length / 2;
      buf.writeUInt16BE(ParamType.EPCData, p);
      buf.writeUInt16BE(6 + n, p + 2);
      buf.writeUInt16BE(n * 8, p + 4);
      buf.write(t.epc, p + 6, n, 'hex');
      p += 6 + n;
    }
    if (t.rospecId !== null) {
      buf[p] = 0x80 | ParamType.ROSpecID;
      buf.writeUInt32BE(t.rospecId, p + 1);
      p += 5;
    }
    if (t.antennaId !== null) {
      buf[p] = 0x80 | ParamType.AntennaID;
      buf.writeUInt16BE(t.antennaId, p + 1);
      p += 3;
    }
    if (t.peakRssi !== null) {
      buf[p] = 0x80 | ParamType.PeakRSSI;
      buf.writeInt8(t.peakRssi, p + 1);
      p += 2;
    }
    if (t.channelIndex !== null) {
      buf[p] = 0x80 | ParamType.ChannelIndex;
      buf.writeUInt16BE(t.channelIndex, p + 1);
      p += 3;
    }
    if (t.firstSeenUs !== null) {
      buf[p] = 0x80 | ParamType.FirstSeenTimestampUTC;
      writeU64(buf, p + 1, t.firstSeenUs);
      p += 9;
    }
    if (t.lastSeenUs !== null) {
      buf[p] = 0x80 | ParamType.LastSeenTimestampUTC;
      writeU64(buf, p + 1, t.lastSeenUs);
      p += 9;
    }
    buf[p] = 0x80 | ParamType.TagSeenCount;
    buf.writeUInt16BE(t.seenCount, p + 1);
    p += 3;
    if (p - start !== len) throw new ColdtraceError('llrp_encode', 'TagReportData size mismatch');
  }
  return buf;
}

function tagReportSize(t: TagRead): number {
  let n = 4 + (t.epc.length === 24 ? 13 : 6 + t.epc.length / 2) + 3;
  if (t.rospecId !== null) n += 5;
  if (t.antennaId !== null) n += 3;
  if (t.peakRssi !== null) n += 2;
  if (t.channelIndex !== null) n += 3;
  if (t.firstSeenUs !== null) n += 9;
  if (t.lastSeenUs !== null) n += 9;
  return n;
}
