// The scenario workspace's public entry point: play a scenario file (a simulated site: cloud, gateways,
// device simulators) and check its expectations; the demo is one such scenario.
export { DEMO_SCENARIO } from './demo/demo.js';
export { type CheckResult, checkExpectations, formatDiff } from './expectations.js';
export { type GatewayProcess, gatewayProcess } from './gateway-process.js';
export { type LoadedScenario, loadScenario, parseScenario } from './load-scenario.js';
export type { Observed } from './observe.js';
export { type ClockMode, type RunOptions, runScenario, type ScenarioRun } from './runner.js';
