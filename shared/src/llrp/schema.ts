/**
 * Field layouts of the LLRP 1.0.1 messages and parameters this codec understands. Anything not listed
 * here is kept verbatim (LLRP 1.0.1 §16.2.1: unknown parameters are skipped by their length).
 */

export type FieldKind =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 's8'
  | 's16'
  /** u16 count then UTF-8 bytes (LLRP 1.0.1 §16.1.2 utf8v) */
  | 'utf8'
  /** u16 count then bytes (u8v) */
  | 'u8v'
  /** u16 count then u16 values (u16v) */
  | 'u16v'
  /** u16 count then u32 values (u32v) */
  | 'u32v'
  /** u16 bit count then ceil(bits/8) bytes (u1v), decoded as { bits, data } */
  | 'u1v'
  /** 96 bits, fixed */
  | 'u96'
  /** all remaining bytes (Custom data) */
  | 'bytes';

/**
 * One sub-byte field inside a packed group: `bits` wide, taken from the most significant bit first
 * (LLRP 1.0.1 §16.1: bit fields are MSB first; unnamed trailing bits are reserved and encoded as 0).
 * A 1-bit flag decodes as a boolean, anything else (and 1-bit enumerations) as a number.
 */
export interface PackedField {
  name: string;
  bits: number;
  bool: boolean;
}

/** A field, or a group of packed sub-byte fields filling `size` bits. */
export type FieldSpec = { name: string; kind: FieldKind } | { packed: readonly PackedField[]; size: 8 | 16 };

const f = (name: string, kind: FieldKind): FieldSpec => ({ name, kind });
const flag = (name: string): PackedField => ({ name, bits: 1, bool: true });
const flags8 = (...names: string[]): FieldSpec => ({ packed: names.map(flag), size: 8 });
const flags16 = (...names: string[]): FieldSpec => ({ packed: names.map(flag), size: 16 });
/** Packed numeric and boolean sub-byte fields in one byte: `[name, bits]` numeric, `name` a flag. */
const bits8 = (...fields: (string | readonly [string, number])[]): FieldSpec => ({
  packed: fields.map((x) => (typeof x === 'string' ? flag(x) : { name: x[0], bits: x[1], bool: false })),
  size: 8,
});

export interface ParamSpec {
  name: string;
  fields: readonly FieldSpec[];
}

/** LLRP 1.0.1 §16.2.1.1: TV parameters, with their fixed value layouts. */
export const TV_PARAMS: Readonly<Record<number, ParamSpec>> = {
  1: { name: 'AntennaID', fields: [f('AntennaID', 'u16')] },
  2: { name: 'FirstSeenTimestampUTC', fields: [f('Microseconds', 'u64')] },
  3: { name: 'FirstSeenTimestampUptime', fields: [f('Microseconds', 'u64')] },
  4: { name: 'LastSeenTimestampUTC', fields: [f('Microseconds', 'u64')] },
  5: { name: 'LastSeenTimestampUptime', fields: [f('Microseconds', 'u64')] },
  6: { name: 'PeakRSSI', fields: [f('PeakRSSI', 's8')] },
  7: { name: 'ChannelIndex', fields: [f('ChannelIndex', 'u16')] },
  8: { name: 'TagSeenCount', fields: [f('TagCount', 'u16')] },
  9: { name: 'ROSpecID', fields: [f('ROSpecID', 'u32')] },
  10: { name: 'InventoryParameterSpecID', fields: [f('InventoryParameterSpecID', 'u16')] },
  11: { name: 'C1G2CRC', fields: [f('CRC', 'u16')] },
  12: { name: 'C1G2PC', fields: [f('PC_Bits', 'u16')] },
  13: { name: 'EPC96', fields: [f('EPC', 'u96')] },
  14: { name: 'SpecIndex', fields: [f('SpecIndex', 'u16')] },
  15: { name: 'ClientRequestOpSpecResult', fields: [f('OpSpecID', 'u16')] },
  16: { name: 'AccessSpecID', fields: [f('AccessSpecID', 'u32')] },
  17: { name: 'OpSpecID', fields: [f('OpSpecID', 'u16')] },
  18: { name: 'C1G2SingulationDetails', fields: [f('NumCollisionSlots', 'u16'), f('NumEmptySlots', 'u16')] },
  19: { name: 'C1G2XPCW1', fields: [f('XPC_W1', 'u16')] },
  20: { name: 'C1G2XPCW2', fields: [f('XPC_W2', 'u16')] },
};

/** Total byte length of each TV parameter, type byte included (LLRP 1.0.1 §16.2.1.1). */
export const TV_LENGTH: Readonly<Record<number, number>> = {
  1: 3,
  2: 9,
  3: 9,
  4: 9,
  5: 9,
  6: 2,
  7: 3,
  8: 3,
  9: 5,
  10: 3,
  11: 3,
  12: 3,
  13: 13,
  14: 3,
  15: 3,
  16: 5,
  17: 3,
  18: 5,
  19: 3,
  20: 3,
};

/** LLRP 1.0.1 §16.2: TLV parameters with a known layout (fields before sub-parameters). */
export const TLV_PARAMS: Readonly<Record<number, ParamSpec>> = {
  128: { name: 'UTCTimestamp', fields: [f('Microseconds', 'u64')] },
  129: { name: 'Uptime', fields: [f('Microseconds', 'u64')] },
  137: {
    name: 'GeneralDeviceCapabilities',
    fields: [
      f('MaxNumberOfAntennaSupported', 'u16'),
      flags16('CanSetAntennaProperties', 'HasUTCClockCapability'),
      f('DeviceManufacturerName', 'u32'),
      f('ModelName', 'u32'),
      f('ReaderFirmwareVersion', 'utf8'),
    ],
  },
  139: {
    name: 'ReceiveSensitivityTableEntry',
    fields: [f('Index', 'u16'), f('ReceiveSensitivityValue', 's16')],
  },
  140: { name: 'PerAntennaAirProtocol', fields: [f('AntennaID', 'u16'), f('ProtocolID', 'u8v')] },
  141: { name: 'GPIOCapabilities', fields: [f('NumGPIs', 'u16'), f('NumGPOs', 'u16')] },
  142: {
    name: 'LLRPCapabilities',
    fields: [
      flags8(
        'CanDoRFSurvey',
        'CanReportBufferFillWarning',
        'SupportsClientRequestOpSpec',
        'CanDoTagInventoryStateAwareSingulation',
        'SupportsEventAndReportHolding',
      ),
      f('MaxNumPriorityLevelsSupported', 'u8'),
      f('ClientRequestOpSpecTimeout', 'u16'),
      f('MaxNumROSpecs', 'u32'),
      f('MaxNumSpecsPerROSpec', 'u32'),
      f('MaxNumInventoryParameterSpecsPerAISpec', 'u32'),
      f('MaxNumAccessSpecs', 'u32'),
      f('MaxNumOpSpecsPerAccessSpec', 'u32'),
    ],
  },
  // LLRP 1.0.1 §16.2.3 reader capabilities: RegulatoryCapabilities and its UHF band tables.
  143: {
    name: 'RegulatoryCapabilities',
    fields: [f('CountryCode', 'u16'), f('CommunicationsStandard', 'u16')],
  },
  144: { name: 'UHFBandCapabilities', fields: [] },
  145: {
    name: 'TransmitPowerLevelTableEntry',
    fields: [f('Index', 'u16'), f('TransmitPowerValue', 's16')],
  },
  146: { name: 'FrequencyInformation', fields: [flags8('Hopping')] },
  147: {
    name: 'FrequencyHopTable',
    fields: [f('HopTableID', 'u8'), f('Reserved', 'u8'), f('Frequency', 'u32v')],
  },
  148: { name: 'FixedFrequencyTable', fields: [f('Frequency', 'u32v')] },
  149: {
    name: 'PerAntennaReceiveSensitivityRange',
    fields: [
      f('AntennaID', 'u16'),
      f('ReceiveSensitivityIndexMin', 'u16'),
      f('ReceiveSensitivityIndexMax', 'u16'),
    ],
  },
  177: { name: 'ROSpec', fields: [f('ROSpecID', 'u32'), f('Priority', 'u8'), f('CurrentState', 'u8')] },
  178: { name: 'ROBoundarySpec', fields: [] },
  179: { name: 'ROSpecStartTrigger', fields: [f('ROSpecStartTriggerType', 'u8')] },
  180: { name: 'PeriodicTriggerValue', fields: [f('Offset', 'u32'), f('Period', 'u32')] },
  181: { name: 'GPITriggerValue', fields: [f('GPIPortNum', 'u16'), flags8('GPIEvent'), f('Timeout', 'u32')] },
  182: {
    name: 'ROSpecStopTrigger',
    fields: [f('ROSpecStopTriggerType', 'u8'), f('DurationTriggerValue', 'u32')],
  },
  183: { name: 'AISpec', fields: [f('AntennaIDs', 'u16v')] },
  184: { name: 'AISpecStopTrigger', fields: [f('AISpecStopTriggerType', 'u8'), f('DurationTrigger', 'u32')] },
  185: {
    name: 'TagObservationTrigger',
    fields: [
      f('TriggerType', 'u8'),
      f('Reserved', 'u8'),
      f('NumberOfTags', 'u16'),
      f('NumberOfAttempts', 'u16'),
      f('T', 'u16'),
      f('Timeout', 'u32'),
    ],
  },
  186: {
    name: 'InventoryParameterSpec',
    fields: [f('InventoryParameterSpecID', 'u16'), f('ProtocolID', 'u8')],
  },
  217: { name: 'LLRPConfigurationStateValue', fields: [f('LLRPConfigurationStateValue', 'u32')] },
  218: { name: 'Identification', fields: [f('IDType', 'u8'), f('ReaderID', 'u8v')] },
  219: { name: 'GPOWriteData', fields: [f('GPOPortNumber', 'u16'), flags8('GPOData')] },
  220: { name: 'KeepaliveSpec', fields: [f('KeepaliveTriggerType', 'u8'), f('PeriodicTriggerValue', 'u32')] },
  221: {
    name: 'AntennaProperties',
    fields: [flags8('AntennaConnected'), f('AntennaID', 'u16'), f('AntennaGain', 's16')],
  },
  222: { name: 'AntennaConfiguration', fields: [f('AntennaID', 'u16')] },
  223: { name: 'RFReceiver', fields: [f('ReceiverSensitivity', 'u16')] },
  224: {
    name: 'RFTransmitter',
    fields: [f('HopTableID', 'u16'), f('ChannelIndex', 'u16'), f('TransmitPower', 'u16')],
  },
  225: { name: 'GPIPortCurrentState', fields: [f('GPIPortNum', 'u16'), flags8('Config'), f('State', 'u8')] },
  226: { name: 'EventsAndReports', fields: [flags8('HoldEventsAndReportsUponReconnect')] },
  237: { name: 'ROReportSpec', fields: [f('ROReportTrigger', 'u8'), f('N', 'u16')] },
  238: {
    name: 'TagReportContentSelector',
    fields: [
      flags16(
        'EnableROSpecID',
        'EnableSpecIndex',
        'EnableInventoryParameterSpecID',
        'EnableAntennaID',
        'EnableChannelIndex',
        'EnablePeakRSSI',
        'EnableFirstSeenTimestamp',
        'EnableLastSeenTimestamp',
        'EnableTagSeenCount',
        'EnableAccessSpecID',
      ),
    ],
  },
  239: { name: 'AccessReportSpec', fields: [f('AccessReportTrigger', 'u8')] },
  240: { name: 'TagReportData', fields: [] },
  241: { name: 'EPCData', fields: [f('EPC', 'u1v')] },
  242: { name: 'RFSurveyReportData', fields: [] },
  244: { name: 'ReaderEventNotificationSpec', fields: [] },
  245: { name: 'EventNotificationState', fields: [f('EventType', 'u16'), flags8('NotificationState')] },
  246: { name: 'ReaderEventNotificationData', fields: [] },
  247: { name: 'HoppingEvent', fields: [f('HopTableID', 'u16'), f('NextChannelIndex', 'u16')] },
  248: { name: 'GPIEvent', fields: [f('GPIPortNumber', 'u16'), flags8('GPIEvent')] },
  249: {
    name: 'ROSpecEvent',
    fields: [f('EventType', 'u8'), f('ROSpecID', 'u32'), f('PreemptingROSpecID', 'u32')],
  },
  250: { name: 'ReportBufferLevelWarningEvent', fields: [f('ReportBufferPercentageFull', 'u8')] },
  251: { name: 'ReportBufferOverflowErrorEvent', fields: [] },
  252: { name: 'ReaderExceptionEvent', fields: [f('Message', 'utf8')] },
  253: { name: 'RFSurveyEvent', fields: [f('EventType', 'u8'), f('ROSpecID', 'u32'), f('SpecIndex', 'u16')] },
  254: { name: 'AISpecEvent', fields: [f('EventType', 'u8'), f('ROSpecID', 'u32'), f('SpecIndex', 'u16')] },
  255: { name: 'AntennaEvent', fields: [f('EventType', 'u8'), f('AntennaID', 'u16')] },
  256: { name: 'ConnectionAttemptEvent', fields: [f('Status', 'u16')] },
  257: { name: 'ConnectionCloseEvent', fields: [] },
  287: { name: 'LLRPStatus', fields: [f('StatusCode', 'u16'), f('ErrorDescription', 'utf8')] },
  288: { name: 'FieldError', fields: [f('FieldNum', 'u16'), f('ErrorCode', 'u16')] },
  289: { name: 'ParameterError', fields: [f('ParameterType', 'u16'), f('ErrorCode', 'u16')] },
  // LLRP 1.0.1 §16.3.1 (C1G2 capabilities): C1G2LLRPCapabilities. The four flags after BlockWrite are
  // reserved in 1.0.1 and defined by LLRP 1.1; a 1.0.1 reader sends them as 0.
  327: {
    name: 'C1G2LLRPCapabilities',
    fields: [
      flags8(
        'CanSupportBlockErase',
        'CanSupportBlockWrite',
        'CanSupportBlockPermalock',
        'CanSupportTagRecommissioning',
        'CanSupportUMIMethod2',
        'CanSupportXPC',
      ),
      f('MaxNumSelectFiltersPerQuery', 'u16'),
    ],
  },
  // LLRP 1.0.1 §16.3.1 (C1G2 capabilities): UHFC1G2RFModeTable and its entries.
  328: { name: 'UHFC1G2RFModeTable', fields: [] },
  329: {
    name: 'UHFC1G2RFModeTableEntry',
    fields: [
      f('ModeIdentifier', 'u32'),
      bits8(['DR', 1], 'EPCHAGTandCConformance'),
      f('Mod', 'u8'),
      f('FLM', 'u8'),
      f('M', 'u8'),
      f('BDR', 'u32'),
      f('PIE', 'u32'),
      f('MinTari', 'u32'),
      f('MaxTari', 'u32'),
      f('StepTari', 'u32'),
    ],
  },
  // LLRP 1.0.1 §16.3.1 (C1G2 configuration): C1G2InventoryCommand and its sub-parameters.
  330: { name: 'C1G2InventoryCommand', fields: [flags8('TagInventoryStateAware')] },
  335: { name: 'C1G2RFControl', fields: [f('ModeIndex', 'u16'), f('Tari', 'u16')] },
  336: {
    name: 'C1G2SingulationControl',
    fields: [bits8(['Session', 2]), f('TagPopulation', 'u16'), f('TagTransitTime', 'u32')],
  },
  337: { name: 'C1G2TagInventoryStateAwareSingulationAction', fields: [bits8(['I', 1], ['S', 1])] },
  348: { name: 'C1G2EPCMemorySelector', fields: [flags8('EnableCRC', 'EnablePCBits', 'EnableXPCBits')] },
  1023: {
    name: 'Custom',
    fields: [f('VendorIdentifier', 'u32'), f('ParameterSubtype', 'u32'), f('Data', 'bytes')],
  },
};

/** LLRP 1.0.1 §16.1: message body fields before the message's parameters. */
export const MESSAGE_FIELDS: Readonly<Record<number, readonly FieldSpec[]>> = {
  1: [f('RequestedData', 'u8')],
  2: [f('AntennaID', 'u16'), f('RequestedData', 'u8'), f('GPIPortNum', 'u16'), f('GPOPortNum', 'u16')],
  3: [flags8('ResetToFactoryDefault')],
  4: [],
  11: [],
  12: [],
  13: [],
  14: [],
  20: [],
  21: [f('ROSpecID', 'u32')],
  22: [f('ROSpecID', 'u32')],
  23: [f('ROSpecID', 'u32')],
  24: [f('ROSpecID', 'u32')],
  25: [f('ROSpecID', 'u32')],
  26: [],
  30: [],
  31: [],
  32: [],
  33: [],
  34: [],
  35: [],
  36: [],
  40: [],
  41: [f('AccessSpecID', 'u32')],
  42: [f('AccessSpecID', 'u32')],
  43: [f('AccessSpecID', 'u32')],
  44: [],
  50: [],
  51: [],
  52: [],
  53: [],
  54: [],
  60: [],
  61: [],
  62: [],
  63: [],
  64: [],
  72: [],
  100: [],
  1023: [f('VendorIdentifier', 'u32'), f('MessageSubtype', 'u8'), f('Data', 'bytes')],
};

/** Names of message types for logs and errors. */
export const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  1: 'GET_READER_CAPABILITIES',
  2: 'GET_READER_CONFIG',
  3: 'SET_READER_CONFIG',
  4: 'CLOSE_CONNECTION_RESPONSE',
  11: 'GET_READER_CAPABILITIES_RESPONSE',
  12: 'GET_READER_CONFIG_RESPONSE',
  13: 'SET_READER_CONFIG_RESPONSE',
  14: 'CLOSE_CONNECTION',
  20: 'ADD_ROSPEC',
  21: 'DELETE_ROSPEC',
  22: 'START_ROSPEC',
  23: 'STOP_ROSPEC',
  24: 'ENABLE_ROSPEC',
  25: 'DISABLE_ROSPEC',
  26: 'GET_ROSPECS',
  30: 'ADD_ROSPEC_RESPONSE',
  31: 'DELETE_ROSPEC_RESPONSE',
  32: 'START_ROSPEC_RESPONSE',
  33: 'STOP_ROSPEC_RESPONSE',
  34: 'ENABLE_ROSPEC_RESPONSE',
  35: 'DISABLE_ROSPEC_RESPONSE',
  36: 'GET_ROSPECS_RESPONSE',
  61: 'RO_ACCESS_REPORT',
  62: 'KEEPALIVE',
  63: 'READER_EVENT_NOTIFICATION',
  72: 'KEEPALIVE_ACK',
  100: 'ERROR_MESSAGE',
  1023: 'CUSTOM_MESSAGE',
};

export function messageName(type: number): string {
  return MESSAGE_NAMES[type] ?? `MESSAGE_${type}`;
}
