/** LLRP 1.0.1 numbers used by the codec, the reader connector and the simulator. */

/** LLRP 1.0.1 §16.1: the protocol version carried in every message header. */
export const LLRP_VERSION = 1;
/** LLRP 1.0.1 §16.1: the header is Rsvd(3) Ver(3) Type(10), Length(32), ID(32). */
export const LLRP_HEADER_BYTES = 10;
/** IANA port for LLRP (LLRP 1.0.1 §17.1.1). */
export const LLRP_PORT = 5084;

/** LLRP 1.0.1 §16.1 message types. */
export const MessageType = {
  GET_READER_CAPABILITIES: 1,
  GET_READER_CONFIG: 2,
  SET_READER_CONFIG: 3,
  CLOSE_CONNECTION_RESPONSE: 4,
  GET_READER_CAPABILITIES_RESPONSE: 11,
  GET_READER_CONFIG_RESPONSE: 12,
  SET_READER_CONFIG_RESPONSE: 13,
  CLOSE_CONNECTION: 14,
  ADD_ROSPEC: 20,
  DELETE_ROSPEC: 21,
  START_ROSPEC: 22,
  STOP_ROSPEC: 23,
  ENABLE_ROSPEC: 24,
  DISABLE_ROSPEC: 25,
  GET_ROSPECS: 26,
  ADD_ROSPEC_RESPONSE: 30,
  DELETE_ROSPEC_RESPONSE: 31,
  START_ROSPEC_RESPONSE: 32,
  STOP_ROSPEC_RESPONSE: 33,
  ENABLE_ROSPEC_RESPONSE: 34,
  DISABLE_ROSPEC_RESPONSE: 35,
  GET_ROSPECS_RESPONSE: 36,
  ADD_ACCESSSPEC: 40,
  DELETE_ACCESSSPEC: 41,
  ENABLE_ACCESSSPEC: 42,
  DISABLE_ACCESSSPEC: 43,
  GET_ACCESSSPECS: 44,
  ADD_ACCESSSPEC_RESPONSE: 50,
  DELETE_ACCESSSPEC_RESPONSE: 51,
  ENABLE_ACCESSSPEC_RESPONSE: 52,
  DISABLE_ACCESSSPEC_RESPONSE: 53,
  GET_ACCESSSPECS_RESPONSE: 54,
  GET_REPORT: 60,
  RO_ACCESS_REPORT: 61,
  KEEPALIVE: 62,
  READER_EVENT_NOTIFICATION: 63,
  ENABLE_EVENTS_AND_REPORTS: 64,
  KEEPALIVE_ACK: 72,
  ERROR_MESSAGE: 100,
  CUSTOM_MESSAGE: 1023,
} as const;

/** Request type → the response type that answers it (LLRP 1.0.1 §16.1). */
export const RESPONSE_OF: Readonly<Record<number, number>> = {
  1: 11,
  2: 12,
  3: 13,
  14: 4,
  20: 30,
  21: 31,
  22: 32,
  23: 33,
  24: 34,
  25: 35,
  26: 36,
  40: 50,
  41: 51,
  42: 52,
  43: 53,
  44: 54,
  // LLRP 1.0.1 CUSTOM_MESSAGE: answered by a CUSTOM_MESSAGE (the vendor's response subtype) or an ERROR_MESSAGE.
  1023: 1023,
};

/** LLRP 1.0.1 §16.2 parameter types (TLV unless noted). */
export const ParamType = {
  AntennaID: 1, // TV
  FirstSeenTimestampUTC: 2, // TV
  FirstSeenTimestampUptime: 3, // TV
  LastSeenTimestampUTC: 4, // TV
  LastSeenTimestampUptime: 5, // TV
  PeakRSSI: 6, // TV
  ChannelIndex: 7, // TV
  TagSeenCount: 8, // TV
  ROSpecID: 9, // TV
  InventoryParameterSpecID: 10, // TV
  C1G2CRC: 11, // TV
  C1G2PC: 12, // TV
  EPC96: 13, // TV
  SpecIndex: 14, // TV
  AccessSpecID: 16, // TV
  UTCTimestamp: 128,
  Uptime: 129,
  GeneralDeviceCapabilities: 137,
  ReceiveSensitivityTableEntry: 139,
  PerAntennaAirProtocol: 140,
  GPIOCapabilities: 141,
  LLRPCapabilities: 142,
  RegulatoryCapabilities: 143,
  UHFBandCapabilities: 144,
  TransmitPowerLevelTableEntry: 145,
  FrequencyInformation: 146,
  FrequencyHopTable: 147,
  FixedFrequencyTable: 148,
  PerAntennaReceiveSensitivityRange: 149,
  ROSpec: 177,
  ROBoundarySpec: 178,
  ROSpecStartTrigger: 179,
  PeriodicTriggerValue: 180,
  GPITriggerValue: 181,
  ROSpecStopTrigger: 182,
  AISpec: 183,
  AISpecStopTrigger: 184,
  TagObservationTrigger: 185,
  InventoryParameterSpec: 186,
  LLRPConfigurationStateValue: 217,
  Identification: 218,
  GPOWriteData: 219,
  KeepaliveSpec: 220,
  AntennaProperties: 221,
  AntennaConfiguration: 222,
  RFReceiver: 223,
  RFTransmitter: 224,
  GPIPortCurrentState: 225,
  EventsAndReports: 226,
  ROReportSpec: 237,
  TagReportContentSelector: 238,
  AccessReportSpec: 239,
  TagReportData: 240,
  EPCData: 241,
  RFSurveyReportData: 242,
  ReaderEventNotificationSpec: 244,
  EventNotificationState: 245,
  ReaderEventNotificationData: 246,
  HoppingEvent: 247,
  GPIEvent: 248,
  ROSpecEvent: 249,
  ReportBufferLevelWarningEvent: 250,
  ReportBufferOverflowErrorEvent: 251,
  ReaderExceptionEvent: 252,
  RFSurveyEvent: 253,
  AISpecEvent: 254,
  AntennaEvent: 255,
  ConnectionAttemptEvent: 256,
  ConnectionCloseEvent: 257,
  LLRPStatus: 287,
  FieldError: 288,
  ParameterError: 289,
  C1G2LLRPCapabilities: 327,
  UHFC1G2RFModeTable: 328,
  UHFC1G2RFModeTableEntry: 329,
  C1G2InventoryCommand: 330,
  C1G2RFControl: 335,
  C1G2SingulationControl: 336,
  C1G2TagInventoryStateAwareSingulationAction: 337,
  C1G2EPCMemorySelector: 348,
  Custom: 1023,
} as const;

/**
 * LLRP 1.0.1 §16.2.8.1 StatusCode values. M_* and R_* are message-level codes for LLRPStatus.StatusCode;
 * P_* are ErrorCodes of a ParameterError and A_* ErrorCodes of a FieldError (the detail that an
 * M_ParameterError / M_FieldError / M_MissingParameter … status carries).
 */
export const StatusCode = {
  M_Success: 0,
  M_ParameterError: 100,
  M_FieldError: 101,
  M_UnexpectedParameter: 102,
  M_MissingParameter: 103,
  M_DuplicateParameter: 104,
  M_OverflowParameter: 105,
  M_OverflowField: 106,
  M_UnknownParameter: 107,
  M_UnknownField: 108,
  M_UnsupportedMessage: 109,
  M_UnsupportedVersion: 110,
  M_UnsupportedParameter: 111,
  P_ParameterError: 200,
  P_FieldError: 201,
  P_UnexpectedParameter: 202,
  P_MissingParameter: 203,
  P_DuplicateParameter: 204,
  P_OverflowParameter: 205,
  P_OverflowField: 206,
  P_UnknownParameter: 207,
  P_UnknownField: 208,
  P_UnsupportedParameter: 209,
  A_Invalid: 300,
  A_OutOfRange: 301,
  R_DeviceError: 401,
} as const;

/** LLRP 1.0.1 §16.2.7.6.9 ConnectionAttemptEvent Status values. */
export const ConnectionAttemptStatus = {
  Success: 0,
  FailedReaderInitiatedExists: 1,
  FailedClientInitiatedExists: 2,
  FailedOther: 3,
  AnotherConnectionAttempted: 4,
} as const;

/** LLRP 1.0.1 §16.2.7.5 EventNotificationState EventType values (the reader event table). */
export const NotificationEventType = {
  UponHoppingToNextChannel: 0,
  GPIEvent: 1,
  ROSpecEvent: 2,
  ReportBufferFillWarning: 3,
  ReaderExceptionEvent: 4,
  RFSurveyEvent: 5,
  AISpecEvent: 6,
  AISpecEventWithDetails: 7,
  AntennaEvent: 8,
} as const;

/** LLRP 1.0.1 §16.2.7.6.3 ROSpecEvent EventType values. */
export const ROSpecEventType = {
  StartOfROSpec: 0,
  EndOfROSpec: 1,
  PreemptionOfROSpec: 2,
} as const;

/** LLRP 1.0.1 §16.2.7.1 ROReportSpec ROReportTrigger values. */
export const ROReportTrigger = {
  None: 0,
  UponNTagsOrEndOfAISpec: 1,
  UponNTagsOrEndOfROSpec: 2,
} as const;
