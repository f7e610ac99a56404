import { join } from 'node:path';
import type { GatewayConfigInput } from '@coldtrace/edge';
import type { Scenario, ScenarioGateway } from './scenario-schema.js';
import type { ClockMode } from './scenario-world.js';

/** Antennas of every simulated portal: 1 faces the outside location, 2 the inside one. */
export const OUTSIDE_ANTENNA = 1;
export const INSIDE_ANTENNA = 2;
export const BAUD = 115_200;
/** Real time the reader links get on the scaled clock before a clock-driven timeout. */
const REAL_TIMEOUT_MS = 2000;
/** Modbus response timeout (ms): real time on the scaled clock, scenario time on the discrete-event one. */
const MODBUS_TIMEOUT_MS = 300;

/**
 * The gateway config the scenario gives a gateway (the same for in-process and child gateways). Times
 * that follow the scenario clock are in scenario ms, derived from the time-scale so that both clocks
 * run the same configuration: batches every ~0.2 s of real time at that scale, reader timeouts of ~2 s.
 * Only the Modbus response timeout differs: on the scaled clock it is the serial library's real-time
 * timer, on the discrete-event clock a timer of the gateway's clock (`timeoutClock: gateway`), so a
 * silent sensor times out at a scenario instant.
 */
export function gatewayConfig(
  s: Scenario,
  g: ScenarioGateway,
  o: {
    mode: ClockMode;
    dataDir: string;
    mqttUrl: string;
    password: string;
    busPath: string | undefined;
    /** Device of each scan station's scanner, by station id. */
    scannerPaths?: Map<string, string>;
    readerPorts: Map<string, number>;
    scale: number;
  },
): GatewayConfigInput {
  const watched = g.locations ?? [
    ...new Set([
      ...g.sensors.map((x) => x.location),
      ...g.portals.flatMap((p) => [p.inside, p.outside]),
      ...g.scanStations.map((x) => x.location),
    ]),
  ];
  // Clock-driven timeouts are in scenario ms: give them REAL_TIMEOUT_MS of real time on the scaled clock.
  const realMs = Math.round(REAL_TIMEOUT_MS * o.scale);
  return {
    gatewayId: g.id,
    dataDir: join(o.dataDir, g.id),
    // Wall-clock MQTT timers (mqtt.js): short, so a returning uplink is used at once.
    mqtt: { url: o.mqttUrl, password: o.password, reconnectMs: 100, connectTimeoutMs: 2000 },
    buffer: { maxBytes: 256 * 1024 * 1024, synchronous: 'NORMAL', thinWindowMs: 15 * 60_000 },
    // Batches by real time (~0.2 s): per-reading batches would cost the cloud a transaction each.
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
            timeoutMs: MODBUS_TIMEOUT_MS,
            ...(o.mode === 'virtual' ? { timeoutClock: 'gateway' as const } : {}),
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
    scanStations: g.scanStations.map((x) => ({
      id: x.id,
      path: o.scannerPaths?.get(x.id) ?? join(o.dataDir, 'scanners', x.id, 'ttyScanner'),
      locationId: x.location,
      direction: x.direction,
      symbologyId: 'required' as const,
      reopenMs: 100,
    })),
    portals: g.portals.map((p) => ({
      id: p.id,
      reader: {
        host: '127.0.0.1',
        port: o.readerPorts.get(p.id)!,
        // Keepalive supervision compares scenario time with the reader's sends: off (the scaled clock
        // jumps by whole ticks; the discrete-event clock may pass hours between two events).
        keepaliveMs: 0,
        connectTimeoutMs: realMs,
        responseTimeoutMs: realMs,
        reconnect: { initialMs: 100, maxMs: Math.round(200 * o.scale) },
        // LLRP 1.0.1 §16.2.7.3 ROReportSpec N: batch tag reports (one message per read is costly here).
        reportEveryTags: 50,
        // The simulator stamps reads on the scenario clock, which gateway receipt times follow only to
        // within its tick and real delays × scale: keep its times, and check skew and steps at the scale
        // of the real timeouts only.
        clock: { policy: 'reader', maxSkewMs: realMs, stepMs: realMs },
      },
      inside: { locationId: p.inside, antennas: [INSIDE_ANTENNA] },
      outside: { locationId: p.outside, antennas: [OUTSIDE_ANTENNA] },
      sweepMs: 5_000,
    })),
  };
}
