/**
 * One fault-test installation on this machine: `coldtrace cloud` (embedded aedes + SQLite, or ingesting
 * from an external broker), one `coldtrace edge` gateway reaching the broker through a fault proxy on
 * loopback, a Modbus RTU bus of three sensors on a socat pty (fast poll), a second bus with one probe
 * whose profile the test drives out of range, and an LLRP reader simulator for movements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfigInput } from '@coldtrace/edge';
import {
  type FaultProxy,
  type LlrpSimulator,
  type ModbusSimulator,
  startFaultProxy,
  startLlrpSimulator,
  startModbusSimulator,
} from '@coldtrace/firmware-sim';
import { sgtin96Hex } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import { type BufferSeqs, readBufferSeqs } from './exactly-once.js';
import {
  addGateway,
  type CloudProcess,
  cloudProcess,
  type GatewayHandle,
  gateway,
  killAll,
} from './processes.js';

export const COLD_ROOM = { minC: 2, maxC: 8, alarmDelayMs: 1000, criticalMarginC: 3, maxGapMs: 60_000 };

export interface RigOptions {
  gatewayId: string;
  pollMs?: number;
  /** Poll interval of the probe on bus-2 (default `pollMs`). */
  probePollMs?: number;
  /** Response timeout of bus-2 (default 200 ms, like bus-1). */
  probeTimeoutMs?: number;
  buffer?: { maxBytes: number; thinWindowMs: number };
  /** Ingest from this broker instead of the embedded aedes (the gateway's proxy points at it too). */
  externalBroker?: { host: string; port: number; username: string; password: string; sharedGroup?: string };
  /** Registers the gateway with the external broker (password file / ACL) once its secret is known. */
  onSecret?: (gatewayId: string, secret: string) => Promise<void> | void;
}

export interface Rig {
  dir: string;
  gatewayId: string;
  cloudDb: string;
  cloud: CloudProcess;
  gw: GatewayHandle;
  proxy: FaultProxy;
  bus: ModbusSimulator;
  probe: ModbusSimulator;
  reader: LlrpSimulator;
  /** An LLRP pass of `n` new cases through the dock door (into the cold room); returns their EPCs. */
  pass(n: number): Promise<string[]>;
  /**
   * Final drain: stops the gateway (SIGTERM), runs it again with no modules (nothing new is recorded)
   * until its buffer is empty, stops it, and returns its last assigned sequence per stream.
   */
  drain(timeoutMs?: number): Promise<BufferSeqs>;
  close(): Promise<void>;
}

let serial = 1000;

export async function startRig(o: RigOptions): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-faults-'));
  const cloudDb = join(dir, 'cloud.db');
  const secret = addGateway(`sqlite:${cloudDb}`, o.gatewayId);
  await o.onSecret?.(o.gatewayId, secret);
  const [httpPort, mqttPort, gwHttpPort] = [await freePort(), await freePort(), await freePort()];
  const cloud = o.externalBroker
    ? cloudProcess({
        dir,
        dbPath: cloudDb,
        httpPort,
        config: {
          http: { host: '127.0.0.1', port: httpPort },
          mqtt: {
            embedded: { enabled: false },
            external: {
              url: `mqtt://${o.externalBroker.host}:${o.externalBroker.port}`,
              username: o.externalBroker.username,
              password: o.externalBroker.password,
              clientId: `ingestor-${o.gatewayId}`,
              ...(o.externalBroker.sharedGroup ? { sharedGroup: o.externalBroker.sharedGroup } : {}),
            },
          },
        },
      })
    : cloudProcess({ dir, dbPath: cloudDb, httpPort, mqttPort });
  await cloud.start();
  const proxy = await startFaultProxy(o.externalBroker ?? { host: '127.0.0.1', port: mqttPort });
  const bus = await startModbusSimulator({
    sensors: [
      { address: 1, profile: { kind: 'steady', tempC: 4.5, noiseC: 0.3 } },
      { address: 2, profile: { kind: 'steady', tempC: 5.0, noiseC: 0.3 } },
      { address: 3, profile: { kind: 'steady', tempC: 5.5, noiseC: 0.3 } },
    ],
    seed: 7,
    baudRate: 115_200,
  });
  const probe = await startModbusSimulator({
    sensors: [{ address: 1, profile: { kind: 'steady', tempC: 5.0, noiseC: 0.2 } }],
    seed: 8,
    baudRate: 115_200,
  });
  const reader = await startLlrpSimulator({
    host: '127.0.0.1',
    port: 0,
    seed: 3,
    outsideAntennas: [1],
    insideAntennas: [2],
  });
  const pollMs = o.pollMs ?? 40;
  const base: GatewayConfigInput & { dataDir: string; http: { host: string; port: number } } = {
    gatewayId: o.gatewayId,
    dataDir: join(dir, 'gw'),
    mqtt: { url: proxy.url, password: secret, reconnectMs: 200, connectTimeoutMs: 3000 },
    batch: { maxRecords: 50, maxAgeMs: 100, inflightWindow: 4 },
    ...(o.buffer ? { buffer: o.buffer } : {}),
    http: { host: '127.0.0.1', port: gwHttpPort },
    logLevel: 'info',
  };
  const full: typeof base = {
    ...base,
    locations: [{ id: 'cold-room', limits: COLD_ROOM }],
    modbus: [
      {
        id: 'bus-1',
        path: bus.devicePath,
        baudRate: 115_200,
        timeoutMs: 200,
        retryDelayMs: 2,
        reopenMinMs: 100,
        reopenMaxMs: 500,
        sensors: [1, 2, 3].map((a) => ({ id: `cold-${a}`, address: a, locationId: 'cold-room', pollMs })),
      },
      {
        id: 'bus-2',
        path: probe.devicePath,
        baudRate: 115_200,
        timeoutMs: o.probeTimeoutMs ?? 200,
        retryDelayMs: 2,
        reopenMinMs: 100,
        reopenMaxMs: 500,
        sensors: [{ id: 'probe-1', address: 1, locationId: 'cold-room', pollMs: o.probePollMs ?? pollMs }],
      },
    ],
    portals: [
      {
        id: 'dock-1',
        reader: {
          host: '127.0.0.1',
          port: reader.port,
          keepaliveMs: 1000,
          reconnect: { initialMs: 200, maxMs: 1000 },
        },
        outside: { locationId: 'dock', antennas: [1] },
        inside: { locationId: 'cold-room', antennas: [2] },
        dwellMs: 300,
      },
    ],
  };
  const gw = gateway(full, dir);
  gw.start();

  const rig: Rig = {
    dir,
    gatewayId: o.gatewayId,
    cloudDb,
    cloud,
    gw,
    proxy,
    bus,
    probe,
    reader,
    async pass(n) {
      const epcs = Array.from({ length: n }, () =>
        sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: serial++ }),
      );
      // The gateway must be reading the portal. Asked of the gateway itself: just after a kill the
      // simulator may not have seen the dead gateway's connection close yet and still call it active.
      await until(
        async () => (await gw.metric('coldtrace_gateway_reader_connected')) === 1,
        'the gateway to read the portal',
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      await reader.waitActive(20_000);
      await reader.pass(
        epcs.map((epc) => ({ epc, direction: 'in' as const })),
        { durationMs: 800 },
      );
      return epcs;
    },
    async drain(timeoutMs = 60_000) {
      await gw.stop();
      const drainer = gateway(base, dir);
      drainer.start();
      try {
        await until(
          async () =>
            (await drainer.metric('coldtrace_gateway_uplink_connected')) === 1 &&
            (await drainer.health()).gateway.backlog?.records === 0,
          'the gateway buffer to drain into the cloud',
          { timeoutMs, intervalMs: 50 },
        );
      } finally {
        await drainer.stop();
      }
      return readBufferSeqs(drainer.bufferPath);
    },
    async close() {
      await killAll();
      await reader.close().catch(() => {});
      await bus.close().catch(() => {});
      await probe.close().catch(() => {});
      await proxy.close().catch(() => {});
      if (!process.env.KEEP_FAULT_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
