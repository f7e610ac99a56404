import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Activity } from '@coldtrace/cloud';
import { type Gateway, type GatewayConfigInput, parseGatewayConfig, startGateway } from '@coldtrace/edge';
import {
  type FaultProxy,
  type LlrpSimulator,
  type ScannerSimulator,
  startFaultProxy,
  startLlrpSimulator,
  startScannerSimulator,
} from '@coldtrace/firmware-sim';
import {
  type Clock,
  errorMessage,
  type ManualClock,
  manualClock,
  type ScenarioClockParams,
  scenarioClock,
  scenarioClockEnv,
} from '@coldtrace/shared';
import type { Logger } from 'pino';
import { type CloudHost, startCloudHost, startInProcessCloud } from './cloud/cloud-host.js';
import { BAUD, gatewayConfig, INSIDE_ANTENNA, OUTSIDE_ANTENNA } from './gateway-config.js';
import { type GatewayProcess, gatewayProcess } from './gateway-process.js';
import { childGatewayIds, type Scenario, type ScenarioGateway } from './scenario-schema.js';
import { stoppableClock } from './stoppable-clock.js';
import { sensorTimelines } from './temperature-timeline.js';
import { startTimelineBus, type TimelineBus } from './timeline-bus.js';
import { type SocketTracker, trackSockets } from './virtual/socket-tracker.js';

/**
 * The reader simulator's partial-report period (scenario ms): a pass's last reads reach the gateway
 * within it, well inside the portal's 2 s dwell; one tick a second keeps the discrete-event clock's
 * instants few (the gateways' own 1 s status check falls on the same instants).
 */
const REPORT_PERIOD_MS = 1000;

/**
 * `scaled`: scenario time follows the wall clock at the scenario's time-scale (a person watches; child
 * gateway processes share it). `virtual`: a discrete-event clock (`manualClock`) that the runner moves
 * from event to event whenever the in-process world is at rest (docs/scenarios.md "The two clocks").
 */
export type ClockMode = 'virtual' | 'scaled';

export interface WorldGateway {
  id: string;
  spec: ScenarioGateway;
  proxy: FaultProxy;
  bus: TimelineBus | undefined;
  /** One simulated serial scanner per scan station, by station id. */
  scanners: Map<string, ScannerSimulator>;
  inProcess: Gateway | undefined;
  child: GatewayProcess | undefined;
  /** Stopped by the runner (settling): no longer expected to keep its uplink. */
  stopped: boolean;
}

/** Everything a scenario runs on: cloud, per-gateway uplink proxies, simulators and gateways. */
export interface ScenarioWorld {
  mode: ClockMode;
  clock: Clock;
  clockParams: ScenarioClockParams;
  startMs: number;
  cloud: CloudHost;
  gateways: Map<string, WorldGateway>;
  readers: Map<string, LlrpSimulator>;
  /** Every port the world listens on (broker, HTTP, uplink proxies, readers). */
  ports: Set<number>;
  /** Discrete-event clock only: the clock the runner moves, and what it watches to know the world is at rest. */
  watch: { clock: ManualClock; sockets: SocketTracker; cloud: Activity } | undefined;
  /**
   * Runs `fn` (which must read the reader's clock synchronously, as `pass()` does when it stamps its
   * reads) with that reader's clock pinned at scenario time `atMs`: a move fired late by a busy machine
   * still carries its scenario time.
   */
  atReaderTime<T>(portalId: string, atMs: number, fn: (sim: LlrpSimulator) => T): T;
  /** Scaled clock: sets the real anchor (scenario start) and starts child-process gateways on it. */
  begin(leadMs: number): Promise<number>;
  /**
   * Shuts the site down (simulators, buses, uplink proxies, gateways: everything but the cloud), for a
   * world kept up after its journey: nothing feeds the cloud any more.
   */
  stopSite(): Promise<void>;
  /**
   * Stops the data clock, the cloud's and this process's, at the cloud's now, and returns that time:
   * after the journey the time of the data stands at its end (docs/architecture.md "Time").
   */
  stopClock(): Promise<number>;
  close(): Promise<void>;
}

export { childGatewayIds };

/**
 * Builds the world: the cloud on the scenario clock (embedded aedes + SQLite; in its own process on the
 * scaled clock, in this one on the discrete-event clock), master data, one uplink proxy per gateway, an
 * LLRP simulator per portal, a Modbus bus per gateway (pty pair), the gateways. The clock stands at the
 * scenario start until `begin` (scaled) or until the runner moves it (virtual).
 */
export async function buildWorld(
  s: Scenario,
  o: { mode: ClockMode; dataDir: string; log: Logger; scale: number; httpPort: number; mqttPort: number },
): Promise<ScenarioWorld> {
  const startMs = Date.parse(s.start);
  const tickMs = s.clock.tick;
  const virtual = o.mode === 'virtual';
  const clockParams: ScenarioClockParams = {
    startMs,
    realAnchorMs: Number.POSITIVE_INFINITY,
    scale: o.scale,
    tickMs,
  };
  const manual = virtual ? manualClock(startMs) : undefined;
  const scaled = manual ? undefined : stoppableClock(scenarioClock(clockParams));
  const clock: Clock = manual ?? scaled!;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse())
      await c().catch((err) => o.log.warn({ err: errorMessage(err) }, 'close failed'));
  };
  // Seen from the first connection on: every socket of the world is tracked.
  const sockets = virtual ? trackSockets({ noDelay: true }) : undefined;
  if (sockets) closers.push(async () => sockets.close());
  const ports = new Set<number>();
  const childIds = new Set(childGatewayIds(s));
  if (virtual && childIds.size > 0)
    throw new Error(`the discrete-event clock needs every gateway in this process: ${[...childIds]}`);
  try {
    const input = {
      scenario: s,
      dataDir: o.dataDir,
      httpPort: o.httpPort,
      mqttPort: o.mqttPort,
      scale: o.scale,
      startMs,
      tickMs,
    };
    const cloud = manual ? await startInProcessCloud(input, manual) : await startCloudHost(input);
    closers.push(() => cloud.close());
    /** Closers from here on are the site's (see `stopSite`). */
    const siteFrom = closers.length;
    const cloudActivity = cloud.inProcess?.activity;
    ports.add(Number(new URL(cloud.mqttUrl).port));
    ports.add(Number(new URL(cloud.httpUrl).port));

    const timelines = sensorTimelines(s, tickMs);
    const gateways = new Map<string, WorldGateway>();
    const readers = new Map<string, LlrpSimulator>();
    const pins = new Map<string, { pinnedAt: number | undefined }>();
    const pending: Array<{ w: WorldGateway; config: GatewayConfigInput }> = [];
    let seedN = 0;
    for (const g of s.gateways) {
      const brokerUrl = new URL(cloud.mqttUrl);
      const proxy = await startFaultProxy({ host: brokerUrl.hostname, port: Number(brokerUrl.port) });
      closers.push(() => proxy.close());
      ports.add(proxy.port);
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
          reportPeriodMs: REPORT_PERIOD_MS,
        });
        closers.push(() => sim.close());
        readers.set(p.id, sim);
        readerPorts.set(p.id, sim.port);
        ports.add(sim.port);
      }
      let bus: TimelineBus | undefined;
      if (g.sensors.length > 0) {
        const b = await startTimelineBus({
          sensors: timelines.get(g.id) ?? [],
          clock,
          clockParams: virtual ? undefined : clockParams,
          startMs,
          baudRate: BAUD,
        });
        closers.push(() => b.close());
        bus = b;
      }
      const scanners = new Map<string, ScannerSimulator>();
      for (const st of g.scanStations) {
        const dir = join(o.dataDir, 'scanners', st.id);
        mkdirSync(dir, { recursive: true });
        const sim = await startScannerSimulator({ dir });
        closers.push(() => sim.stop());
        scanners.set(st.id, sim);
      }
      const config = gatewayConfig(s, g, {
        mode: o.mode,
        dataDir: o.dataDir,
        mqttUrl: proxy.url,
        password: cloud.secrets[g.id]!,
        busPath: bus?.devicePath,
        scannerPaths: new Map([...scanners].map(([id, sim]) => [id, sim.devicePath])),
        readerPorts,
        scale: o.scale,
      });
      const w: WorldGateway = {
        id: g.id,
        spec: g,
        proxy,
        bus,
        scanners,
        inProcess: undefined,
        child: undefined,
        stopped: false,
      };
      gateways.set(g.id, w);
      if (childIds.has(g.id)) pending.push({ w, config });
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
      mode: o.mode,
      clock,
      clockParams,
      startMs,
      cloud,
      gateways,
      readers,
      ports,
      watch:
        manual && sockets && cloudActivity ? { clock: manual, sockets, cloud: cloudActivity } : undefined,
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
      async stopSite() {
        for (const c of closers.splice(siteFrom).reverse())
          await c().catch((err) => o.log.warn({ err: errorMessage(err) }, 'close failed'));
      },
      async stopClock() {
        const at = await cloud.stopClock();
        scaled?.stop(at);
        return at;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
