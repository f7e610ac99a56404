import { type LlrpParam, ParamType, param } from '@coldtrace/shared/llrp';
import type { DoorGeometry } from './population.js';

/**
 * The simulated reader's radio tables, shaped like a fixed FCC reader's: transmit power 10.00 to 30.00 dBm
 * in 0.25 dB steps (index 1 = 10.00 dBm), receive sensitivity 0 (the maximum) then 10 to 50 dB, five C1G2
 * RF modes, one hop table of 50 channels.
 */
export const SIM_RADIO = {
  transmitPowerDbm: Array.from({ length: 81 }, (_, i) => 10 + i * 0.25),
  receiveSensitivityDb: [0, ...Array.from({ length: 41 }, (_, i) => 10 + i)],
  /** ModeIdentifier → Mod (0 FM0, 1 Miller 2, 2 Miller 4, 3 Miller 8) and backscatter data rate (bps). */
  rfModes: new Map([
    [0, { mod: 0, bdr: 640_000 }],
    [1, { mod: 1, bdr: 640_000 }],
    [2, { mod: 2, bdr: 274_000 }],
    [3, { mod: 3, bdr: 170_600 }],
    [4, { mod: 1, bdr: 640_000 }],
  ]),
  hopTableId: 1,
  hopFrequenciesKhz: Array.from({ length: 50 }, (_, i) => 902_750 + i * 500),
} as const;

/** The conducted power of TransmitPower `index` (one-based into the table), undefined if none. */
export function transmitPowerDbm(index: number): number | undefined {
  return SIM_RADIO.transmitPowerDbm[index - 1];
}

/**
 * LLRP 1.0.1 §16.2.3: what this simulated reader (one antenna port per configured antenna) can do; its
 * maker is `manufacturer` (DeviceManufacturerName, an IANA Private Enterprise Number).
 */
export function capabilities(geo: DoorGeometry, manufacturer: number): LlrpParam[] {
  const antennas = [...geo.outsideAntennas, ...geo.insideAntennas];
  return [
    param(
      ParamType.GeneralDeviceCapabilities,
      {
        MaxNumberOfAntennaSupported: antennas.length,
        CanSetAntennaProperties: false,
        HasUTCClockCapability: true,
        DeviceManufacturerName: manufacturer,
        ModelName: 2001002,
        ReaderFirmwareVersion: 'coldtrace-sim 0.1',
      },
      [
        ...SIM_RADIO.receiveSensitivityDb.map((dB, i) =>
          param(ParamType.ReceiveSensitivityTableEntry, { Index: i + 1, ReceiveSensitivityValue: dB }),
        ),
        param(ParamType.GPIOCapabilities, { NumGPIs: 0, NumGPOs: 0 }),
        ...antennas.map((a) =>
          param(ParamType.PerAntennaAirProtocol, { AntennaID: a, ProtocolID: Buffer.from([1]) }),
        ),
      ],
    ),
    param(ParamType.LLRPCapabilities, {
      CanDoRFSurvey: false,
      CanReportBufferFillWarning: false,
      SupportsClientRequestOpSpec: false,
      CanDoTagInventoryStateAwareSingulation: false,
      SupportsEventAndReportHolding: false,
      MaxNumPriorityLevelsSupported: 1,
      ClientRequestOpSpecTimeout: 0,
      MaxNumROSpecs: 8,
      MaxNumSpecsPerROSpec: 1,
      MaxNumInventoryParameterSpecsPerAISpec: 1,
      MaxNumAccessSpecs: 0,
      MaxNumOpSpecsPerAccessSpec: 0,
    }),
    // LLRP 1.0.1 §16.2.3.4: FCC part 15 (US, country 840), hopping.
    param(ParamType.RegulatoryCapabilities, { CountryCode: 840, CommunicationsStandard: 1 }, [
      param(ParamType.UHFBandCapabilities, {}, [
        ...SIM_RADIO.transmitPowerDbm.map((dBm, i) =>
          param(ParamType.TransmitPowerLevelTableEntry, {
            Index: i + 1,
            TransmitPowerValue: Math.round(dBm * 100),
          }),
        ),
        param(ParamType.FrequencyInformation, { Hopping: true }, [
          param(ParamType.FrequencyHopTable, {
            HopTableID: SIM_RADIO.hopTableId,
            Reserved: 0,
            Frequency: [...SIM_RADIO.hopFrequenciesKhz],
          }),
        ]),
        param(
          ParamType.UHFC1G2RFModeTable,
          {},
          [...SIM_RADIO.rfModes].map(([id, m]) =>
            param(ParamType.UHFC1G2RFModeTableEntry, {
              ModeIdentifier: id,
              DR: 1,
              EPCHAGTandCConformance: false,
              Mod: m.mod,
              FLM: 0,
              M: 2,
              BDR: m.bdr,
              PIE: 1500,
              MinTari: 6250,
              MaxTari: 25000,
              StepTari: 6250,
            }),
          ),
        ),
      ]),
    ]),
  ];
}
