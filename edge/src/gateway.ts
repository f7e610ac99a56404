import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Clock,
  COLDTRACE_VERSION,
  classify,
  errorMessage,
  type GatewayStatus,
  type ReaderHealth,
  type Reading,
  type SensorHealth,
  systemClock,
  type TempLimits,
} from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { createLocalAlarmsModule, type LocalAlarmsModule } from './alarms/local-alarms-module.js';
import type { BufferEvent, RecordBuffer, StreamName } from './buffer/record-buffer.js';
import { openSqliteBuffer } from './buffer/sqlite-buffer.js';
import { type GatewayConfig, mqttPassword } from './config.js';
import { createModbusBusModule } from './modbus/modbus-bus-module.js';
import type {
  GatewayContext,
  GatewayModule,
  NewAlarm,
  NewMovement,
  NewReading,
  RecordSink,
} from './module.js';
import { GatewayMetrics } from './ops/gateway-metrics.js';
import { type HealthServer, startHealthServer } from './ops/health-server.js';
import { SystemdNotifier } from './ops/systemd-notify.js';
import { createPortalModule } from './portal/portal-module.js';
import { createPublisher, type Publisher } from './publisher/publisher.js';

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
  const readingListeners = new Set<(r: readonly Reading[]) => void>();
  const bufferAlarms: NewAlarm[] = [];

  let publisher: Publisher | undefined;
  const onBufferEvent = (e: BufferEvent) => {
    const ts = clock.now();
    const base = { ts, value: 'ratio' in e ? e.ratio : e.bytes / e.maxBytes };
    if (e.type === 'high' || e.type === 'normal') {
      bufferAlarms.push({
        ...base,
        alarmId: 'buffer_high',
        kind: 'buffer_high',
        state: e.type === 'high' ? 'raised' : 'cleared',
        severity: 'warning',
        message: `buffer at ${Math.round((e.bytes / e.maxBytes) * 100)}% of ${e.maxBytes} bytes`,
      });
    } else if (e.type === 'full') {
      log.error({ refused: e.refusedRecords, stream: e.stream }, 'BUFFER FULL: records refused');
      bufferAlarms.push({
        ...base,
        alarmId: 'buffer_full',
        kind: 'buffer_full',
        state: 'raised',
        severity: 'critical',
        message: `buffer full: ${e.refusedTotal} ${e.stream} records refused so far`,
      });
    } else if (e.type === 'thinned') {
      log.warn({ count: e.count }, 'buffer thinned in-range readings to stay within maxBytes');
    }
  };
  const buffer = openSqliteBuffer({
    path: join(config.dataDir, 'buffer.db'),
    maxBytes: config.buffer.maxBytes,
    synchronous: config.buffer.synchronous,
    thinWindowMs: config.buffer.thinWindowMs,
    onEvent: onBufferEvent,
  });

  /** Readings outside their location's range (or sensor errors) must never be thinned and go out at once. */
  const urgent = (r: NewReading) => {
    if (r.quality !== 'ok' || r.tempC === null) return true;
    const l = limits.get(r.locationId);
    return l ? classify(r.tempC, l) !== 'in' : false;
  };

  let metrics: GatewayMetrics | undefined;
  let lastAppendError: string | undefined;
  const append = <S extends StreamName>(
    stream: S,
    records: Parameters<RecordBuffer['append']>[1],
    isUrgent: boolean,
  ) => {
    let stored: ReturnType<RecordBuffer['append']>;
    try {
      stored = buffer.append(
        stream,
        records as never,
        stream === 'readings' ? { keep: urgent as never } : undefined,
      );
      lastAppendError = undefined;
    } catch (err) {
      lastAppendError = errorMessage(err);
      if ((err as { code?: string }).code === 'buffer_full') metrics?.refused.inc({ stream }, records.length);
      throw err;
    }
    metrics?.records.inc({ stream }, stored.length);
    publisher?.notify(stream, { urgent: isUrgent });
    return stored;
  };
  const flushBufferAlarms = () => {
    if (!bufferAlarms.length) return;
    const alarms = bufferAlarms.splice(0);
    try {
      append('alarms', alarms, true);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'cannot store buffer alarm');
    }
  };

  /**
   * Persists records for the modules. Never throws into a module: a refusal (buffer full) is already
   * counted, alarmed (`buffer_full`) and logged by `append`; an invalid record is a module bug, logged
   * with the error. Either way the module keeps running.
   */
  const store = <S extends StreamName>(
    stream: S,
    records: Parameters<RecordBuffer['append']>[1],
    isUrgent: boolean,
  ) => {
    try {
      return append(stream, records, isUrgent);
    } catch (err) {
      log.error({ stream, records: records.length, err: errorMessage(err) }, 'records not stored');
      return undefined;
    } finally {
      flushBufferAlarms();
    }
  };
  const sink: RecordSink = {
    readings(records: NewReading[]) {
      if (!records.length) return;
      const stored = store('readings', records, records.some(urgent)) as Reading[] | undefined;
      if (!stored) return;
      for (const l of readingListeners) {
        try {
          l(stored);
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'reading listener failed');
        }
      }
    },
    movements(records: NewMovement[]) {
      if (records.length) store('movements', records, false);
    },
    alarms(records: NewAlarm[]) {
      if (records.length) store('alarms', records, true);
    },
  };

  let localAlarms: LocalAlarmsModule | undefined;
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
    activeAlarms: localAlarms?.activeAlarms() ?? [],
  });

  let statusDirty = false;
  const ctxFor = (name: string): GatewayContext => ({
    gatewayId: config.gatewayId,
    clock,
    log: log.child({ module: name }),
    records: sink,
    health: {
      reader(h) {
        readers.set(h.readerId, h);
        statusDirty = true;
      },
      sensor(h) {
        sensors.set(h.sensorId, h);
        statusDirty = true;
      },
    },
    onReadings(listener) {
      readingListeners.add(listener);
      return () => readingListeners.delete(listener);
    },
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
    },
    batch: { maxRecords: config.batch.maxRecords, maxAgeMs: config.batch.maxAgeMs },
    inflightWindow: config.batch.inflightWindow,
    clock,
    log: log.child({ module: 'publisher' }),
    version: COLDTRACE_VERSION,
  });

  metrics = new GatewayMetrics({
    backlog: () => buffer.stats(),
    connected: () => publisher?.connected ?? false,
    readers: () => [...readers.values()],
    sensors: () => [...sensors.values()],
    now: () => clock.now(),
  });
  /** Healthy while the buffer accepts records: an uplink outage is normal operation (store and forward). */
  const healthy = () => lastAppendError === undefined;

  const modules: GatewayModule[] = [];
  if (config.locations.length) {
    localAlarms = createLocalAlarmsModule({
      locations: config.locations.map((l) => ({ id: l.id, limits: l.limits })),
    });
    modules.push(localAlarms);
  }
  for (const bus of config.modbus) modules.push(createModbusBusModule(bus));
  for (const portal of config.portals) modules.push(createPortalModule(portal));
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
