// The gateway's public entry point: what other workspaces (scenario, journeys, bench) may use.
export { openSqliteBuffer } from './buffer/sqlite-buffer.js';
export {
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  loadGatewayConfig,
  parseGatewayConfig,
} from './config.js';
export { type Gateway, type GatewayDeps, startGateway } from './gateway.js';
export { LlrpReaderConnector } from './llrp/connector.js';
export type { ReaderConnectorOptions, ReaderState } from './llrp/connector-options.js';
export {
  createModbusBusModule,
  isModbusBusModule,
  type ModbusBusModule,
  type ModbusBusStats,
} from './modbus/modbus-bus-module.js';
export type { GatewayContext, GatewayModule, RecordSink } from './module.js';
export { portalConfigSchema } from './portal/portal-config.js';
export { PortalLogic } from './portal/portal-logic.js';
export { createPortalModule } from './portal/portal-module.js';
export { createPublisher } from './publisher/publisher.js';
export {
  DEFAULT_BATCH,
  DEFAULT_INFLIGHT_WINDOW,
  DEFAULT_PUBACK_TIMEOUT_MS,
  pubackOverdue,
} from './publisher/publisher-config.js';
export type { ScanStationReport } from './scan/scan-intake.js';
export type { ScanStationModule } from './scan/scan-station-module.js';
