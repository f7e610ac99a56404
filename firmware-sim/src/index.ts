// The device simulators' public entry point: an LLRP reader, Modbus RTU sensors on a pseudo-terminal,
// a serial barcode scanner, and a TCP fault proxy. They depend on `shared` only, so the gateway's tests
// can use them.
export { type LlrpScenario, loadLlrpScenario } from './llrp/cli.js';
export {
  crossingPath,
  type DoorGeometry,
  presentPath,
  prng,
  sgtin96,
  simulateReads,
  strayPath,
  type TagPath,
} from './llrp/population.js';
export { type LlrpSimulator, type LlrpSimulatorOptions, startLlrpSimulator } from './llrp/simulator.js';
export { crcOk, withCrc } from './modbus/crc16.js';
export { SIM_FAULTS, type SimFault, type SimSample } from './modbus/profiles.js';
export { rawToWords, toRaw, XY_MD02_SIM_MAP } from './modbus/register-encoding.js';
export { RtuFramer } from './modbus/rtu-framer.js';
export { answerRequest } from './modbus/rtu-responder.js';
export {
  type ModbusSimulator,
  type ModbusSimulatorOptions,
  startModbusSimulator,
} from './modbus/simulator.js';
export { type SocatPair, socatMissing, startSocatPair } from './modbus/socat-pair.js';
export { type FaultProxy, startFaultProxy } from './net/fault-proxy.js';
export { seededRandom } from './rng.js';
export {
  labelCode,
  type ScanFaults,
  type ScanLot,
  type SimulatedScan,
  scanLotSchema,
  scanPopulation,
} from './scanner/scan-population.js';
export {
  type ScannerSimulator,
  type ScannerSimulatorOptions,
  startScannerSimulator,
} from './scanner/scanner-simulator.js';
