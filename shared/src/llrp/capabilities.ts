import { findParam, findParams, type LlrpMessage, type LlrpParam } from './codec.js';
import { ParamType } from './constants.js';

/** LLRP 1.0.1 §16.2.3.1.3 PerAntennaAirProtocol: ProtocolID 1 is EPCglobal Class 1 Gen 2. */
const C1G2_PROTOCOL = 1;

/** What a reader says it can do, as far as the radio settings of a ROSpec need it. */
export interface ReaderCapabilities {
  /** GeneralDeviceCapabilities.DeviceManufacturerName: the maker's IANA Private Enterprise Number (0: absent). */
  manufacturer: number;
  /** GeneralDeviceCapabilities.MaxNumberOfAntennaSupported (antenna IDs 1..n). */
  maxAntennas: number;
  /** Antennas whose PerAntennaAirProtocol lists C1G2. */
  c1g2Antennas: number[];
  /** TransmitPowerLevelTableEntry: index → conducted power at the connector, dBm (§16.2.3.4.1.1). */
  transmitPower: { index: number; dBm: number }[];
  /** ReceiveSensitivityTableEntry: index → dB relative to the maximum sensitivity (§16.2.3.1.1). */
  receiveSensitivity: { index: number; dB: number }[];
  /** PerAntennaReceiveSensitivityRange: the indexes an antenna accepts (§16.2.3.1.2); absent: the table's. */
  sensitivityRange: Map<number, { min: number; max: number }>;
  /** FrequencyInformation.Hopping, the hop table IDs, and the number of fixed channels (§16.2.3.4.1.2). */
  hopping: boolean;
  hopTableIds: number[];
  fixedChannels: number;
  /** UHFC1G2RFModeTableEntry ModeIdentifiers (§16.3.1.1.2.1). */
  rfModes: number[];
  /** LLRPCapabilities.CanDoTagInventoryStateAwareSingulation (§16.2.3.2). */
  stateAwareSingulation: boolean;
}

const num = (p: LlrpParam | undefined, field: string): number => Number(p?.fields[field] ?? 0);
const sub = (p: LlrpParam | undefined, type: number) => (p ? findParams(p.params, type) : []);

/** The capabilities in a GET_READER_CAPABILITIES_RESPONSE (LLRP 1.0.1 §16.1.2); absent parts are empty. */
export function readerCapabilitiesOf(msg: LlrpMessage): ReaderCapabilities {
  const general = findParam(msg.params, ParamType.GeneralDeviceCapabilities);
  const llrp = findParam(msg.params, ParamType.LLRPCapabilities);
  const band = sub(findParam(msg.params, ParamType.RegulatoryCapabilities), ParamType.UHFBandCapabilities)[0];
  const freq = sub(band, ParamType.FrequencyInformation)[0];
  const fixed = sub(freq, ParamType.FixedFrequencyTable)[0];
  const sensitivityRange = new Map<number, { min: number; max: number }>();
  for (const r of sub(general, ParamType.PerAntennaReceiveSensitivityRange)) {
    sensitivityRange.set(num(r, 'AntennaID'), {
      min: num(r, 'ReceiveSensitivityIndexMin'),
      max: num(r, 'ReceiveSensitivityIndexMax'),
    });
  }
  return {
    manufacturer: num(general, 'DeviceManufacturerName'),
    maxAntennas: num(general, 'MaxNumberOfAntennaSupported'),
    c1g2Antennas: sub(general, ParamType.PerAntennaAirProtocol)
      .filter((p) => [...((p.fields['ProtocolID'] as Uint8Array | undefined) ?? [])].includes(C1G2_PROTOCOL))
      .map((p) => num(p, 'AntennaID')),
    transmitPower: sub(band, ParamType.TransmitPowerLevelTableEntry).map((p) => ({
      index: num(p, 'Index'),
      dBm: num(p, 'TransmitPowerValue') / 100,
    })),
    receiveSensitivity: sub(general, ParamType.ReceiveSensitivityTableEntry).map((p) => ({
      index: num(p, 'Index'),
      dB: num(p, 'ReceiveSensitivityValue'),
    })),
    sensitivityRange,
    hopping: freq?.fields['Hopping'] === true,
    hopTableIds: sub(freq, ParamType.FrequencyHopTable).map((p) => num(p, 'HopTableID')),
    fixedChannels: ((fixed?.fields['Frequency'] as number[] | undefined) ?? []).length,
    rfModes: sub(band, ParamType.UHFC1G2RFModeTable)
      .flatMap((t) => findParams(t.params, ParamType.UHFC1G2RFModeTableEntry))
      .map((e) => num(e, 'ModeIdentifier')),
    stateAwareSingulation: llrp?.fields['CanDoTagInventoryStateAwareSingulation'] === true,
  };
}
