/**
 * Compares a decoded LLRP message with its EdgeX JSON twin (test-vectors/llrp-edgex), generically:
 * every key of the twin is mapped to a decoded field or sub-parameter and compared, and every decoded
 * field and parameter must be accounted for by the twin. A twin key without a mapping is a failure, so no
 * value of any twin can go unchecked.
 */
import { inspect, isDeepStrictEqual } from 'node:util';
import type { LlrpFields, LlrpParam, LlrpValue } from '../../src/llrp/codec.js';
import { ParamType as P } from '../../src/llrp/constants.js';

// biome-ignore lint/suspicious/noExplicitAny: the EdgeX JSON twins are untyped
export type Json = any;

/** A twin key that is a field of the current parameter (EdgeX spelling → ours). */
interface FieldRule {
  f: string;
  /** Converts our decoded value into the twin's representation. */
  conv?: (v: LlrpValue) => unknown;
}
/** A twin key that is a sub-parameter (or list of them) of the current parameter. */
interface ParamRule {
  p: number;
  many?: true;
  /** The twin holds this one field of the parameter directly (EdgeX inlines single-field parameters). */
  value?: string;
  /** What EdgeX shows for an absent parameter it stores by value (a Go zero value) instead of null. */
  absentAs?: unknown;
}
type Rule = FieldRule | ParamRule;
type Rules = Record<string, Rule | string>;

const b64 = (v: LlrpValue) => Buffer.from(v as Uint8Array).toString('base64');
const tv = (p: number, value: string): ParamRule => ({ p, value });

/** Rules for keys that mean the same everywhere. */
const GLOBAL: Rules = { Custom: { p: P.Custom, many: true } };

/** Per context (message level or a parameter type): twin key → rule. A string is a renamed field. */
const RULES: Record<string, Rules> = {
  message: {
    LLRPStatus: { p: P.LLRPStatus },
    GeneralDeviceCapabilities: { p: P.GeneralDeviceCapabilities },
    LLRPCapabilities: { p: P.LLRPCapabilities },
    RegulatoryCapabilities: { p: P.RegulatoryCapabilities },
    C1G2LLRPCapabilities: { p: P.C1G2LLRPCapabilities },
    Identification: { p: P.Identification },
    AntennaProperties: { p: P.AntennaProperties, many: true },
    AntennaConfigurations: { p: P.AntennaConfiguration, many: true },
    ReaderEventNotificationSpec: { p: P.ReaderEventNotificationSpec },
    ROReportSpec: { p: P.ROReportSpec },
    AccessReportSpec: tv(P.AccessReportSpec, 'AccessReportTrigger'),
    LLRPConfigurationStateValue: tv(P.LLRPConfigurationStateValue, 'LLRPConfigurationStateValue'),
    KeepAliveSpec: { p: P.KeepaliveSpec },
    GPIPortCurrentStates: { p: P.GPIPortCurrentState, many: true },
    GPOWriteData: { p: P.GPOWriteData, many: true },
    EventsAndReports: tv(P.EventsAndReports, 'HoldEventsAndReportsUponReconnect'),
    ROSpecs: { p: P.ROSpec, many: true },
    AccessSpecs: { p: 207, many: true },
    TagReportData: { p: P.TagReportData, many: true },
    RFSurveyReportData: { p: P.RFSurveyReportData, many: true },
    ReaderEventNotificationData: { p: P.ReaderEventNotificationData },
  },
  [P.LLRPStatus]: {
    Status: 'StatusCode',
    ErrorDescription: 'ErrorDescription',
    FieldError: { p: P.FieldError },
    ParameterError: { p: P.ParameterError },
  },
  [P.FieldError]: { FieldIndex: 'FieldNum', ErrorCode: 'ErrorCode' },
  [P.ParameterError]: {
    ParameterType: 'ParameterType',
    ErrorCode: 'ErrorCode',
    FieldError: { p: P.FieldError },
    ParameterError: { p: P.ParameterError },
  },
  [P.GeneralDeviceCapabilities]: {
    MaxSupportedAntennas: 'MaxNumberOfAntennaSupported',
    CanSetAntennaProperties: 'CanSetAntennaProperties',
    HasUTCClock: 'HasUTCClockCapability',
    DeviceManufacturer: 'DeviceManufacturerName',
    Model: 'ModelName',
    FirmwareVersion: 'ReaderFirmwareVersion',
    ReceiveSensitivities: { p: P.ReceiveSensitivityTableEntry, many: true },
    PerAntennaReceiveSensitivityRanges: { p: 149, many: true },
    GPIOCapabilities: { p: P.GPIOCapabilities },
    PerAntennaAirProtocols: { p: P.PerAntennaAirProtocol, many: true },
    MaximumReceiveSensitivity: { p: 363 },
  },
  [P.ReceiveSensitivityTableEntry]: { Index: 'Index', ReceiveSensitivity: 'ReceiveSensitivityValue' },
  [P.GPIOCapabilities]: { NumGPIs: 'NumGPIs', NumGPOs: 'NumGPOs' },
  [P.PerAntennaAirProtocol]: { AntennaID: 'AntennaID', AirProtocolIDs: { f: 'ProtocolID', conv: b64 } },
  [P.LLRPCapabilities]: {
    CanDoRFSurvey: 'CanDoRFSurvey',
    CanReportBufferFillWarning: 'CanReportBufferFillWarning',
    SupportsClientRequestOpSpec: 'SupportsClientRequestOpSpec',
    CanDoTagInventoryStateAwareSingulation: 'CanDoTagInventoryStateAwareSingulation',
    SupportsEventsAndReportHolding: 'SupportsEventAndReportHolding',
    MaxPriorityLevelSupported: 'MaxNumPriorityLevelsSupported',
    ClientRequestedOpSpecTimeout: 'ClientRequestOpSpecTimeout',
    MaxROSpecs: 'MaxNumROSpecs',
    MaxSpecsPerROSpec: 'MaxNumSpecsPerROSpec',
    MaxInventoryParameterSpecsPerAISpec: 'MaxNumInventoryParameterSpecsPerAISpec',
    MaxAccessSpecs: 'MaxNumAccessSpecs',
    MaxOpSpecsPerAccessSpec: 'MaxNumOpSpecsPerAccessSpec',
  },
  [P.RegulatoryCapabilities]: {
    CountryCode: 'CountryCode',
    CommunicationsStandard: 'CommunicationsStandard',
    UHFBandCapabilities: { p: P.UHFBandCapabilities },
  },
  [P.UHFBandCapabilities]: {
    TransmitPowerLevels: { p: P.TransmitPowerLevelTableEntry, many: true },
    FrequencyInformation: { p: P.FrequencyInformation },
    C1G2RFModes: { p: P.UHFC1G2RFModeTable },
    RFSurveyFrequencyCapabilities: { p: 365 },
  },
  [P.TransmitPowerLevelTableEntry]: { Index: 'Index', TransmitPowerValue: 'TransmitPowerValue' },
  [P.FrequencyInformation]: {
    Hopping: 'Hopping',
    FrequencyHopTables: { p: P.FrequencyHopTable, many: true },
    FixedFrequencyTable: { p: P.FixedFrequencyTable },
  },
  [P.FrequencyHopTable]: { HopTableID: 'HopTableID', Frequencies: 'Frequency' },
  [P.FixedFrequencyTable]: { Frequencies: 'Frequency' },
  [P.UHFC1G2RFModeTable]: { UHFC1G2RFModeTableEntries: { p: P.UHFC1G2RFModeTableEntry, many: true } },
  [P.UHFC1G2RFModeTableEntry]: {
    ModeID: 'ModeIdentifier',
    DivideRatio: 'DR',
    IsEPCHagConformant: 'EPCHAGTandCConformance',
    Modulation: 'Mod',
    ForwardLinkModulation: 'FLM',
    SpectralMask: 'M',
    BackscatterDataRate: 'BDR',
    PIERatio: 'PIE',
    MinTariTime: 'MinTari',
    MaxTariTime: 'MaxTari',
    StepTariTime: 'StepTari',
  },
  [P.C1G2LLRPCapabilities]: {
    SupportsBlockErase: 'CanSupportBlockErase',
    SupportsBlockWrite: 'CanSupportBlockWrite',
    SupportsBlockPermalock: 'CanSupportBlockPermalock',
    SupportsTagRecommissioning: 'CanSupportTagRecommissioning',
    SupportsUMIMethod2: 'CanSupportUMIMethod2',
    SupportsXPC: 'CanSupportXPC',
    MaxSelectFiltersPerQuery: 'MaxNumSelectFiltersPerQuery',
  },
  [P.Identification]: { IDType: 'IDType', ReaderID: { f: 'ReaderID', conv: b64 } },
  [P.AntennaProperties]: {
    AntennaConnected: 'AntennaConnected',
    AntennaID: 'AntennaID',
    AntennaGain: 'AntennaGain',
  },
  [P.AntennaConfiguration]: {
    AntennaID: 'AntennaID',
    RFReceiver: tv(P.RFReceiver, 'ReceiverSensitivity'),
    RFTransmitter: { p: P.RFTransmitter },
    C1G2InventoryCommand: { p: P.C1G2InventoryCommand },
  },
  [P.RFTransmitter]: {
    HopTableID: 'HopTableID',
    ChannelIndex: 'ChannelIndex',
    TransmitPowerIndex: 'TransmitPower',
  },
  [P.C1G2InventoryCommand]: {
    TagInventoryStateAware: 'TagInventoryStateAware',
    Filters: { p: 331, many: true },
    RFControl: { p: P.C1G2RFControl },
    SingulationControl: { p: P.C1G2SingulationControl },
  },
  [P.C1G2RFControl]: { RFModeID: 'ModeIndex', Tari: 'Tari' },
  [P.C1G2SingulationControl]: {
    Session: 'Session',
    TagPopulation: 'TagPopulation',
    TagTransitTime: 'TagTransitTime',
    InvAwareAction: { p: P.C1G2TagInventoryStateAwareSingulationAction },
  },
  [P.ReaderEventNotificationSpec]: { EventNotificationStates: { p: P.EventNotificationState, many: true } },
  [P.EventNotificationState]: { ReaderEventType: 'EventType', NotificationEnabled: 'NotificationState' },
  [P.ROReportSpec]: {
    Trigger: 'ROReportTrigger',
    N: 'N',
    TagReportContentSelector: { p: P.TagReportContentSelector },
  },
  [P.TagReportContentSelector]: {
    EnableROSpecID: 'EnableROSpecID',
    EnableSpecIndex: 'EnableSpecIndex',
    EnableInventoryParamSpecID: 'EnableInventoryParameterSpecID',
    EnableAntennaID: 'EnableAntennaID',
    EnableChannelIndex: 'EnableChannelIndex',
    EnablePeakRSSI: 'EnablePeakRSSI',
    EnableFirstSeenTimestamp: 'EnableFirstSeenTimestamp',
    EnableLastSeenTimestamp: 'EnableLastSeenTimestamp',
    EnableTagSeenCount: 'EnableTagSeenCount',
    EnableAccessSpecID: 'EnableAccessSpecID',
    C1G2EPCMemorySelector: { p: P.C1G2EPCMemorySelector },
  },
  [P.C1G2EPCMemorySelector]: {
    CRCEnabled: 'EnableCRC',
    PCBitsEnabled: 'EnablePCBits',
    XPCBitsEnabled: 'EnableXPCBits',
  },
  [P.KeepaliveSpec]: { Trigger: 'KeepaliveTriggerType', Interval: 'PeriodicTriggerValue' },
  [P.GPIPortCurrentState]: { Port: 'GPIPortNum', Enabled: 'Config', State: 'State' },
  [P.GPOWriteData]: { Port: 'GPOPortNumber', Data: 'GPOData' },
  [P.TagReportData]: {
    EPCData: { p: P.EPCData, absentAs: { EPCNumBits: 0, EPC: null } },
    EPC96: { p: P.EPC96 },
    ROSpecID: tv(P.ROSpecID, 'ROSpecID'),
    SpecIndex: tv(P.SpecIndex, 'SpecIndex'),
    InventoryParameterSpecID: tv(P.InventoryParameterSpecID, 'InventoryParameterSpecID'),
    AntennaID: tv(P.AntennaID, 'AntennaID'),
    PeakRSSI: tv(P.PeakRSSI, 'PeakRSSI'),
    ChannelIndex: tv(P.ChannelIndex, 'ChannelIndex'),
    FirstSeenUTC: tv(P.FirstSeenTimestampUTC, 'Microseconds'),
    FirstSeenUptime: tv(P.FirstSeenTimestampUptime, 'Microseconds'),
    LastSeenUTC: tv(P.LastSeenTimestampUTC, 'Microseconds'),
    LastSeenUptime: tv(P.LastSeenTimestampUptime, 'Microseconds'),
    TagSeenCount: tv(P.TagSeenCount, 'TagCount'),
    C1G2PC: { p: P.C1G2PC },
    C1G2XPCW1: tv(19, 'XPC_W1'),
    C1G2XPCW2: tv(20, 'XPC_W2'),
    C1G2CRC: tv(P.C1G2CRC, 'CRC'),
    AccessSpecID: tv(P.AccessSpecID, 'AccessSpecID'),
    C1G2ReadOpSpecResult: { p: 349 },
    C1G2WriteOpSpecResult: { p: 350 },
    C1G2KillOpSpecResult: { p: 351 },
    C1G2LockOpSpecResult: { p: 352 },
    C1G2BlockEraseOpSpecResult: { p: 353 },
    C1G2BlockWriteOpSpecResult: { p: 354 },
    C1G2RecommissionOpSpecResult: { p: 360 },
    C1G2BlockPermalockOpSpecResult: { p: 361 },
    C1G2GetBlockPermalockStatusOpSpecResult: { p: 362 },
    ClientRequestOpSpecResult: tv(15, 'OpSpecID'),
  },
  [P.EPC96]: { EPC: { f: 'EPC', conv: b64 } },
  [P.EPCData]: {
    EPCNumBits: { f: 'EPC', conv: (v) => (v as { bits: number }).bits },
    EPC: { f: 'EPC', conv: (v) => b64((v as { data: Uint8Array }).data) },
  },
  [P.ReaderEventNotificationData]: {
    UTCTimestamp: tv(P.UTCTimestamp, 'Microseconds'),
    Uptime: { p: P.Uptime, value: 'Microseconds', absentAs: 0 },
    HoppingEvent: { p: P.HoppingEvent },
    GPIEvent: { p: P.GPIEvent },
    ROSpecEvent: { p: P.ROSpecEvent },
    ReportBufferLevelWarningEvent: { p: P.ReportBufferLevelWarningEvent },
    ReportBufferOverflowErrorEvent: { p: P.ReportBufferOverflowErrorEvent },
    ReaderExceptionEvent: { p: P.ReaderExceptionEvent },
    RFSurveyEvent: { p: P.RFSurveyEvent },
    AISpecEvent: { p: P.AISpecEvent },
    AntennaEvent: { p: P.AntennaEvent },
    ConnectionAttemptEvent: tv(P.ConnectionAttemptEvent, 'Status'),
    ConnectionCloseEvent: { p: P.ConnectionCloseEvent },
    SpecLoopEvent: { p: 356 },
  },
};

/** Decoded fields EdgeX does not surface (reserved bits kept by us for byte-exact re-encoding). */
const NOT_IN_TWIN: Record<number, readonly string[]> = { [P.FrequencyHopTable]: ['Reserved'] };

/** Plain assertions (no test-runner formatting): the mutation test runs this walk thousands of times. */
function check(ok: boolean, message: string | (() => string)): void {
  if (!ok) throw new Error(typeof message === 'string' ? message : message());
}
const show = (v: unknown) => inspect(v, { depth: 3, breakLength: Number.POSITIVE_INFINITY });
function same(ours: unknown, theirs: unknown, path: string): void {
  check(isDeepStrictEqual(ours, theirs), () => `${path}: decoded ${show(ours)}, twin ${show(theirs)}`);
}

/** Compares one decoded value with the twin's, converting ours into the twin's representation. */
function compareValue(ours: LlrpValue | undefined, theirs: unknown, path: string, conv?: FieldRule['conv']) {
  check(ours !== undefined, `${path}: decoded value missing`);
  if (conv) return same(conv(ours!), theirs, path);
  if (typeof ours === 'bigint') {
    check(typeof theirs === 'number', () => `${path}: twin holds ${show(theirs)}, not a number`);
    return same(ours, BigInt(theirs as number), path);
  }
  if (ours instanceof Uint8Array) return same(b64(ours), theirs, path);
  return same(ours, theirs, path);
}

interface Node {
  fields: LlrpFields;
  params: LlrpParam[];
}

/** Walks `twin` against `node` (a message or parameter) in context `ctx`; throws on the first difference. */
export function checkTwin(node: Node, twin: Json, ctx: string | number = 'message', path = '$'): void {
  check(twin !== null && typeof twin === 'object' && !Array.isArray(twin), `${path} is not an object`);
  const rules = RULES[ctx] ?? {};
  const usedFields = new Set<string>();
  const usedParams = new Set<LlrpParam>();
  for (const [key, theirs] of Object.entries(twin as Record<string, Json>)) {
    const at = `${path}.${key}`;
    const raw = rules[key] ?? GLOBAL[key];
    check(raw !== undefined, `${at} has no mapping to a decoded field or parameter (context ${ctx})`);
    const rule: Rule = typeof raw === 'string' ? { f: raw } : raw!;
    if ('f' in rule) {
      compareValue(node.fields[rule.f], theirs, at, rule.conv);
      usedFields.add(rule.f);
      continue;
    }
    const found = node.params.filter((p) => p.type === rule.p);
    for (const p of found) usedParams.add(p);
    if (theirs === null) {
      check(found.length === 0, `${at} is null but parameter ${rule.p} is present`);
      continue;
    }
    if (rule.many) {
      check(Array.isArray(theirs), `${at} is not a list`);
      check(
        found.length === theirs.length,
        `${at}: ${found.length} parameters ${rule.p}, twin ${theirs.length}`,
      );
      for (let i = 0; i < found.length; i++) checkOne(found[i]!, theirs[i], rule, `${at}[${i}]`);
      continue;
    }
    if (found.length === 0 && rule.absentAs !== undefined) {
      same(theirs, rule.absentAs, `${at} (absent parameter ${rule.p}, shown as its zero value)`);
      continue;
    }
    check(found.length === 1, `${at}: ${found.length} parameters ${rule.p}, expected exactly one`);
    checkOne(found[0]!, theirs, rule, at);
  }
  const skip = typeof ctx === 'number' ? (NOT_IN_TWIN[ctx] ?? []) : [];
  const unchecked = Object.keys(node.fields).filter((k) => !usedFields.has(k) && !skip.includes(k));
  check(unchecked.length === 0, `${path}: decoded fields the twin does not cover: ${unchecked}`);
  const extra = node.params.filter((p) => !usedParams.has(p)).map((p) => p.type);
  check(extra.length === 0, `${path}: decoded parameters the twin does not cover: ${extra}`);
}

function checkOne(p: LlrpParam, theirs: Json, rule: ParamRule, at: string): void {
  check(p.raw === undefined, `${at}: parameter ${rule.p} was kept raw, not decoded`);
  if (rule.value !== undefined) {
    compareValue(p.fields[rule.value], theirs, at);
    const rest = Object.keys(p.fields).filter((k) => k !== rule.value);
    check(rest.length === 0, `${at}: fields of parameter ${rule.p} the twin does not show: ${rest}`);
    check(p.params.length === 0, `${at}: sub-parameters the twin does not show`);
    return;
  }
  checkTwin(p, theirs, rule.p, at);
}

/** Every leaf path of a twin with a changed value: each must make `checkTwin` fail. */
export function mutations(twin: Json): Generator<[string, Json]> {
  return walk(twin, [], twin);
}

function* walk(node: Json, path: (string | number)[], root: Json): Generator<[string, Json]> {
  const at = path.join('.') || '$';
  const replace = (value: unknown): Json => {
    const copy = structuredClone(root);
    let o = copy;
    for (const k of path.slice(0, -1)) o = o[k];
    o[path.at(-1)!] = value;
    return copy;
  };
  if (node === null) {
    yield [`${at} (null → 0)`, replace(0)];
    return;
  }
  if (Array.isArray(node)) {
    if (node.length > 0) yield [`${at} (one element fewer)`, replace(node.slice(0, -1))];
    for (let i = 0; i < node.length; i++) yield* walk(node[i], [...path, i], root);
    return;
  }
  if (typeof node === 'object') {
    const keys = Object.keys(node);
    if (keys.length === 0) yield [`${at} ({} → null)`, replace(null)];
    for (const k of keys) yield* walk(node[k], [...path, k], root);
    return;
  }
  if (typeof node === 'number') yield [`${at} (+1)`, replace(node + 1)];
  else if (typeof node === 'boolean') yield [`${at} (negated)`, replace(!node)];
  else if (typeof node === 'string') yield [`${at} (changed)`, replace(`${node}x`)];
}
