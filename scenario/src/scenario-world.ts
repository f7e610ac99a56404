import { join } from 'node:path';
import { type Gateway, type GatewayConfigInput, parseGatewayConfig, startGateway } from '@coldtrace/edge';
import {
  type FaultProxy,
  type LlrpSimulator,
  startFaultProxy,
  startLlrpSimulator,
} from '@coldtrace/firmware-sim';
import {
  type Clock,
  errorMessage,
  type ScenarioClockParams,
  scenarioClock,
  scenarioClockEnv,
} from '@coldtrace/shared';
import type { Logger } from 'pino';
import { type CloudHost, startCloudHost } from './cloud-host.js';
import { type GatewayProcess, gatewayProcess } from './gateway-process.js';
import type { Scenario, ScenarioGateway } from './scenario-schema.js';
import { sensorTimelines } from './temperature-timeline.js';
import { startTimelineBus, type TimelineBus } from './timeline-bus.js';

/** Antennas of every simulated portal: 1 faces the outside location, 2 the inside one. */
const OUTSIDE_ANTENNA = 1;
const INSIDE_ANTENNA = 2;
/** Real time the simulated serial line and the reader links get (wall-clock timeouts). */
const REAL_TIMEOUT_MS = 2000;
const BAUD = 115_200;

export interface WorldGateway {
  id: string;
  spec: ScenarioGateway;
  proxy: FaultProxy;
  bus: TimelineBus | undefined;
  inProcess: Gateway | undefined;
  child: GatewayProcess | undefined;
}

/** Everything a scenario runs on: cloud, per-gateway uplink proxies, simulators and gateways. */
export interface ScenarioWorld {
  clock: Clock;
  clockParams: ScenarioClockParams;
  startMs: number;
  cloud: CloudHost;
  gateways: Map<string, WorldGateway>;
  readers: Map<string, LlrpSimulator>;
  /**
   * Runs `fn` (which must read the reader's clock synchronously, as `pass()` does when it stamps its
   * reads) with that reader's clock pinned at scenario time `atMs`: a move fired late by a busy machine
   * still carries its scenario time.
   */
  atReaderTime<T>(portalId: string, atMs: number, fn: (sim: LlrpSimulator) => T): T;
  /** Sets the real anchor (scenario start) and starts child-process gateways on it. */
  begin(leadMs: number): Promise<number>;
  close(): Promise<void>;
}

/** The gateway config the scenario gives a gateway (the same for in-process and child gateways). */
function gatewayConfig(
  s: Scenario,
  g: ScenarioGateway,
  o: {
    dataDir: string;
    mqttUrl: string;
    password: string;
    busPath: string | undefined;
    readerPorts: Map<string, number>;
    scale: number;
  },
): GatewayConfigInput {
  const watched = g.locations ?? [
    ...new Set([...g.sensors.map((x) => x.location), ...g.portals.flatMap((p) => [p.inside, p.outside])]),
  ];
  // Clock-driven timeouts are in scenario ms: give them REAL_TIMEOUT_MS of real time.
  const realMs = Math.round(REAL_TIMEOUT_MS * o.scale);
  return {
    gatewayId: g.id,
    dataDir: join(o.dataDir, g.id),
    // Wall-clock MQTT timers (mqtt.js): short, so a returning uplink is used at once.
    mqtt: { url: o.mqttUrl, password: o.password, reconnectMs: 100, connectTimeoutMs: 2000 },
    buffer: { maxBytes: 256 * 1024 * 1024, synchronous: 'NORMAL', thinWindowMs: 15 * 60_000 },
    // Batches by real time (~0.2 s): per-reading batches would cost the in-process cloud a transaction each.
    batch: { maxRecords: 500, maxAgeMs: Math.round(200 * o.scale), inflightWindow: 8 },
    statusIntervalMs: 3_600_000,
    logLevel: 'warn',
    locations: watched.map((id) => {
      const l = s.locations.find((x) => x.id === id)!;
      return {
        id,
        name: l.name,
        limits: {
          minC: l.limits.minC,
          maxC: l.limits.maxC,
          alarmDelayMs: l.limits.alarmDelay,
          criticalMarginC: l.limits.criticalMarginC,
          maxGapMs: l.limits.maxGap,
        },
      };
    }),
    modbus: o.busPath
      ? [
          {
            id: `${g.id}-bus`,
            path: o.busPath,
            baudRate: BAUD,
            timeoutMs: 300,
            retries: 1,
            retryDelayMs: 0,
            sensors: g.sensors.map((x, i) => ({
              id: x.id,
              address: x.address ?? i + 1,
              locationId: x.location,
              pollMs: g.poll,
            })),
          },
        ]
      : [],
    portals: g.portals.map((p) => ({
      id: p.id,
      reader: {
        host: '127.0.0.1',
        port: o.readerPorts.get(p.id)!,
        // Keepalive supervision compares scenario time, which jumps by whole ticks: off.
        keepaliveMs: 0,
        connectTimeoutMs: realMs,
        responseTimeoutMs: realMs,
        reconnect: { initialMs: 100, maxMs: Math.round(200 * o.scale) },
        // LLRP 1.0.1 §16.2.7.3 ROReportSpec N: batch tag reports (one message per read is costly here).
        reportEveryTags: 50,
      },
      inside: { locationId: p.inside, antennas: [INSIDE_ANTENNA] },
      outside: { locationId: p.outside, antennas: [OUTSIDE_ANTENNA] },
      sweepMs: 5_000,
    })),
  };
}

/**
 * Builds the world: the cloud on the scenario clock (embedded aedes + SQLite), master data, one uplink
 * proxy per gateway, an LLRP simulator per portal, a Modbus bus per gateway (pty pair), the gateways.
 * The clock stands at the scenario start until `begin`.
 */
export async function buildWorld(
  s: Scenario,
  o: { dataDir: string; log: Logger; scale: number; httpPort: number; mqttPort: number },
): Promise<ScenarioWorld> {
  const startMs = Date.parse(s.start);
  const tickMs = s.clock.tick;
  const clockParams: ScenarioClockParams = {
    startMs,
    realAnchorMs: Number.POSITIVE_INFINITY,
    scale: o.scale,
    tickMs,
  };
  const clock = scenarioClock(clockParams);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse())
      await c().catch((err) => o.log.warn({ err: errorMessage(err) }, 'close failed'));
  };
  try {
    const cloud = await startCloudHost({
      scenario: s,
      dataDir: o.dataDir,
      httpPort: o.httpPort,
      mqttPort: o.mqttPort,
      scale: o.scale,
      startMs,
      tickMs,
    });
    closers.push(() => cloud.close());

    const timelines = sensorTimelines(s, tickMs);
    const gateways = new Map<string, WorldGateway>();
    const readers = new Map<string, LlrpSimulator>();
    const pins = new Map<string, { pinnedAt: number | undefined }>();
    const childGateways = new Set(s.timeline.flatMap((e) => ('powerLoss' in e ? [e.powerLoss.gateway] : [])));
    const pending: Array<{ w: WorldGateway; config: GatewayConfigInput }> = [];
    let seedN = 0;
    for (const g of s.gateways) {
      const password = cloud.secrets[g.id]!;
      const brokerUrl = new URL(cloud.mqttUrl);
      const proxy = await startFaultProxy({ host: brokerUrl.hostname, port: Number(brokerUrl.port) });
      closers.push(() => proxy.close());
      const readerPorts = new Map<string, number>();
      for (const p of g.portals) {
        const pin = { pinnedAt: undefined as number | undefined };
        pins.set(p.id, pin);
        const sim = await startLlrpSimulator({
          host: '127.0.0.1',
          port: 0,
          clock: { ...clock, now: () => pin.pinnedAt ?? clock.now() },
          seed: s.seed * 100 + ++seedN,
          outsideAntennas: [OUTSIDE_ANTENNA],
          insideAntennas: [INSIDE_ANTENNA],
        });
        closers.push(() => sim.close());
        readers.set(p.id, sim);
        readerPorts.set(p.id, sim.port);
      }
      let bus: TimelineBus | undefined;
      if (g.sensors.length > 0) {
        const b = await startTimelineBus({
          sensors: timelines.get(g.id) ?? [],
          clock,
          clockParams,
          startMs,
          baudRate: BAUD,
        });
        closers.push(() => b.close());
        bus = b;
      }
      const config = gatewayConfig(s, g, {
        dataDir: o.dataDir,
        mqttUrl: proxy.url,
        password,
        busPath: bus?.devicePath,
        readerPorts,
        scale: o.scale,
      });
      const w: WorldGateway = { id: g.id, spec: g, proxy, bus, inProcess: undefined, child: undefined };
      gateways.set(g.id, w);
      if (g.process === 'child' || childGateways.has(g.id)) pending.push({ w, config });
      else {
        const gw = await startGateway(parseGatewayConfig(config, `scenario gateway ${g.id}`), {
          clock,
          log: o.log.child({ part: g.id }),
        });
        w.inProcess = gw;
        closers.push(() => gw.stop());
      }
    }
    return {
      clock,
      clockParams,
      startMs,
      cloud,
      gateways,
      readers,
      atReaderTime(portalId, atMs, fn) {
        const pin = pins.get(portalId)!;
        pin.pinnedAt = Math.min(atMs, clock.now());
        try {
          return fn(readers.get(portalId)!);
        } finally {
          pin.pinnedAt = undefined;
        }
      },
      async begin(leadMs) {
        clockParams.realAnchorMs = Date.now() + leadMs;
        await cloud.begin(clockParams.realAnchorMs);
        for (const { w, config } of pending) {
          const child = gatewayProcess({
            id: w.id,
            config,
            dir: o.dataDir,
            env: scenarioClockEnv(clockParams),
          });
          w.child = child;
          child.start();
          closers.push(() => child.stop());
        }
        return clockParams.realAnchorMs;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
