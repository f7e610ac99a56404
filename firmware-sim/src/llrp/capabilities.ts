import { type LlrpParam, ParamType, param } from '@coldtrace/shared/llrp';
import type { DoorGeometry } from './population.js';

/** LLRP 1.0.1 §16.2.3: what this simulated reader (one antenna port per configured antenna) can do. */
export function capabilities(geo: DoorGeometry): LlrpParam[] {
  const antennas = [...geo.outsideAntennas, ...geo.insideAntennas];
  return [
    param(
      ParamType.GeneralDeviceCapabilities,
      {
        MaxNumberOfAntennaSupported: antennas.length,
        CanSetAntennaProperties: false,
        HasUTCClockCapability: true,
        DeviceManufacturerName: 25882,
        ModelName: 2001002,
        ReaderFirmwareVersion: 'coldtrace-sim 0.1',
      },
      [
        param(ParamType.ReceiveSensitivityTableEntry, { Index: 1, ReceiveSensitivityValue: 0 }),
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
  ];
}
