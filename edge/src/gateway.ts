import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Clock,
  COLDTRACE_VERSION,
  errorMessage,
  type GatewayStatus,
  type ReaderHealth,
  type SensorHealth,
  systemClock,
  type TempLimits,
} from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { createBufferAlarms } from './alarms/buffer-alarms.js';
import { createLocalAlarmsModule, type LocalAlarmsModule } from './alarms/local-alarms-module.js';
import type { RecordBuffer } from './buffer/record-buffer.js';
import { openSqliteBuffer } from './buffer/sqlite-buffer.js';
import { type GatewayConfig, mqttPassword, mqttTls } from './config.js';
import { createModbusBusModule } from './modbus/modbus-bus-module.js';
import type { GatewayContext, GatewayModule } from './module.js';
import { GatewayMetrics } from './ops/gateway-metrics.js';
import { type HealthServer, startHealthServer } from './ops/health-server.js';
import { SystemdNotifier } from './ops/systemd-notify.js';
import { createPortalModule } from './portal/portal-module.js';
import { createPublisher, type Publisher } from './publisher/publisher.js';
import { createRecordSink } from './record-sink.js';
import { registerScanMetrics } from './scan/scan-metrics.js';
import { createScanPageModule } from './scan/scan-page-module.js';
import { createScanStationModule } from './scan/scan-station-module.js';
import { scanStateKey, scanStatusFields } from './scan/scan-status.js';

/** `buffer_high` is raised at this fill of maxBytes and cleared below the low ratio (hysteresis). */
const BUFFER_HIGH_RATIO = 0.8;
const BUFFER_LOW_RATIO = 0.7;

export interface Gateway {
  config: GatewayConfig;
  metrics: GatewayMetrics;
  /** Port of the health/metrics endpoint when `http` is configured. */
  httpPort: number | undefined;
  buffer: RecordBuffer;
  publisher: Publisher;
  modules: readonly GatewayModule[];
  status(): GatewayStatus;
  /** Stops modules, publishes `offline` (retained) and closes the buffer. */
  stop(): Promise<void>;
}

export interface GatewayDeps {
  clock?: Clock;
  log?: Logger;
  /** Extra modules (tests, simulators in-process); started after the configured ones. */
  modules?: GatewayModule[];
}

/**
 * The gateway controller: opens the durable buffer, starts the publisher and every module (portals,
 * sensor buses, local alarms), and keeps the retained `status` current. A module that fails to start
 * or throws later is logged and isolated; the gateway keeps running without it.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? pino({ level: config.logLevel, name: `gateway:${config.gatewayId}` });
  const startedAt = clock.now();
  mkdirSync(config.dataDir, { recursive: true });

  const limits = new Map<string, TempLimits>(config.locations.map((l) => [l.id, l.limits]));
  const readers = new Map<string, ReaderHealth>();
  const sensors = new Map<string, SensorHealth>();
  let statusDirty = false;

  // The buffer alarms see the buffer's events from its opening on, so they reach it by reference.
  let opened: RecordBuffer | undefined;
  const bufferAlarms = createBufferAlarms({
    clock,
    log,
    fullUpdateMs: config.buffer.fullAlarmUpdateMs,
    lowRatio: BUFFER_LOW_RATIO,
    stored: (id) => opened?.alarmState(id),
    fill: () => (opened ? opened.stats().bytes / config.buffer.maxBytes : 0),
  });
  const buffer = openSqliteBuffer({
    path: join(config.dataDir, 'buffer.db'),
    maxBytes: config.buffer.maxBytes,
    synchronous: config.buffer.synchronous,
    thinWindowMs: config.buffer.thinWindowMs,
    highRatio: BUFFER_HIGH_RATIO,
    lowRatio: BUFFER_LOW_RATIO,
    onEvent(e) {
      bufferAlarms.onEvent(e);
      // `normal` comes from an ack (the uplink drained the buffer), after which no module may store
      // anything for a while: store its alarm now. Events of an append are stored by that append.
      if (opened && (e.type === 'normal' || e.type === 'high')) queueMicrotask(records.flushBufferAlarms);
    },
  });

  let publisher: Publisher | undefined;
  let metrics: GatewayMetrics | undefined;
  const records = createRecordSink({
    buffer,
    limits,
    bufferAlarms,
    log,
    stored(stream, count, urgent) {
      metrics?.records.inc({ stream }, count);
      publisher?.notify(stream, { urgent });
    },
    refused: (stream, count) => metrics?.refused.inc({ stream }, count),
    alarmsChanged() {
      statusDirty = true;
    },
  });
  opened = buffer;
  records.flushBufferAlarms(); // what the buffer said while opening (still high, drained meanwhile)

  let localAlarms: LocalAlarmsModule | undefined;
  const portals = config.portals.map((p) => createPortalModule(p));
  const scanStations = config.scanStations.map((s) => createScanStationModule(s));
  const scanPage = config.scanPage ? createScanPageModule(config.scanPage) : undefined;
  const scanFields = () =>
    scanStatusFields({
      serial: scanStations.map((s) => s.report()),
      ...(scanPage ? { page: { stations: scanPage.report(), health: scanPage.health() } } : {}),
    });
  let scanKey = scanStateKey(scanFields());
  const status = (): GatewayStatus => ({
    gatewayId: config.gatewayId,
    state: 'online',
    ts: clock.now(),
    reason: 'periodic',
    version: COLDTRACE_VERSION,
    startedAt,
    backlog: buffer.stats(),
    readers: [...readers.values()],
    sensors: [...sensors.values()],
    activeAlarms: [
      ...(localAlarms?.activeAlarms() ?? []),
      ...bufferAlarms.active(),
      ...portals.flatMap((p) => p.activeAlarms()),
    ].sort(),
    ...scanFields(),
  });

  const ctxFor = (name: string): GatewayContext => ({
    gatewayId: config.gatewayId,
    clock,
    log: log.child({ module: name }),
    records: records.sink,
    health: {
      reader(h) {
        readers.set(h.readerId, h);
        statusDirty = true;
      },
      sensor(h) {
        // Kept fresh on every report (lastReadingTs, consecutiveErrors go out with the periodic
        // status); published at once only when the state, quality or poll overrun changed.
        const prev = sensors.get(h.sensorId);
        sensors.set(h.sensorId, h);
        if (prev?.state !== h.state || prev?.quality !== h.quality || prev?.pollOverrun !== h.pollOverrun)
          statusDirty = true;
      },
    },
    onReadings: records.onReadings,
  });

  publisher = createPublisher({
    gatewayId: config.gatewayId,
    buffer,
    mqtt: {
      url: config.mqtt.url,
      username: config.gatewayId,
      password: mqttPassword(config),
      clientId: config.mqtt.clientId ?? config.gatewayId,
      connectTimeoutMs: config.mqtt.connectTimeoutMs,
      reconnectMs: config.mqtt.reconnectMs,
      pubackTimeoutMs: config.mqtt.pubackTimeoutMs,
      liveWindowMs: config.mqtt.liveWindowMs,
      ...mqttTls(config),
    },
    batch: { maxRecords: config.batch.maxRecords, maxAgeMs: config.batch.maxAgeMs },
    inflightWindow: config.batch.inflightWindow,
    clock,
    log: log.child({ module: 'publisher' }),
    version: COLDTRACE_VERSION,
  });

  const modbusBuses = config.modbus.map((bus) => createModbusBusModule(bus));
  metrics = new GatewayMetrics({
    backlog: () => buffer.stats(),
    connected: () => publisher?.connected ?? false,
    readers: () => [...readers.values()],
    sensors: () => [...sensors.values()],
    modbus: () => modbusBuses.map((b) => b.report()),
    portals: () => portals.map((p) => p.report()),
    now: () => clock.now(),
  });
  registerScanMetrics(metrics.registry, () => [
    ...scanStations.map((s) => s.report()),
    ...(scanPage?.report() ?? []),
  ]);
  /** Healthy while the buffer accepts records: an uplink outage is normal operation (store and forward). */
  const healthy = () => records.lastAppendError() === undefined;

  const modules: GatewayModule[] = [];
  if (config.locations.length) {
    localAlarms = createLocalAlarmsModule({
      locations: config.locations.map((l) => ({ id: l.id, limits: l.limits })),
    });
    modules.push(localAlarms);
  }
  modules.push(...modbusBuses);
  modules.push(...portals);
  modules.push(...scanStations);
  if (scanPage) modules.push(scanPage);
  modules.push(...(deps.modules ?? []));

  const started: GatewayModule[] = [];
  for (const m of modules) {
    try {
      await m.start(ctxFor(m.name));
      started.push(m);
      log.info({ module: m.name }, 'module started');
    } catch (err) {
      // Isolated: the gateway runs on without it, and says so in its logs and metrics.
      metrics.moduleFailures.inc({ module: m.name });
      log.error({ module: m.name, err: errorMessage(err) }, 'module failed to start; continuing without it');
    }
  }
  publisher.start();
  publisher.publishStatus({ ...status(), reason: 'started' });

  const statusTimer = clock.setInterval(() => {
    statusDirty = false;
    publisher?.publishStatus(status());
  }, config.statusIntervalMs);
  const healthTimer = clock.setInterval(() => {
    // A scan device opening or closing (or the page) is published at once; counts go out periodically.
    const key = scanStateKey(scanFields());
    if (key !== scanKey) {
      scanKey = key;
      statusDirty = true;
    }
    if (statusDirty) {
      statusDirty = false;
      publisher?.publishStatus(status());
    }
  }, 1000);

  let health: HealthServer | undefined;
  if (config.http) {
    try {
      health = await startHealthServer({ ...config.http, registry: metrics.registry, status, healthy });
    } catch (err) {
      log.error(
        { err: errorMessage(err), port: config.http.port },
        'health endpoint failed to start; continuing without it',
      );
    }
  }
  const systemd = new SystemdNotifier(log);
  // The watchdog checks liveness (event loop turning, buffer database answering), not a full buffer:
  // a restart would not empty it, the buffer_full alarm and /healthz report that.
  systemd.ready(() => {
    try {
      buffer.stats();
      return true;
    } catch {
      return false;
    }
  });

  log.info(
    { gatewayId: config.gatewayId, modules: started.map((m) => m.name), httpPort: health?.port },
    'gateway started',
  );
  let stopped = false;
  return {
    config,
    metrics,
    httpPort: health?.port,
    buffer,
    publisher,
    modules: started,
    status,
    async stop() {
      if (stopped) return;
      stopped = true;
      systemd.stopping();
      await health?.close();
      clock.clearInterval(statusTimer);
      clock.clearInterval(healthTimer);
      for (const m of [...started].reverse()) {
        try {
          await m.stop();
        } catch (err) {
          metrics?.moduleFailures.inc({ module: m.name });
          log.warn({ module: m.name, err: errorMessage(err) }, 'module failed to stop cleanly');
        }
      }
      await publisher?.stop();
      buffer.close();
      log.info('gateway stopped');
    },
  };
}
