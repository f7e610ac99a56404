import { Backoff, type ClockTimer, ColdtraceError, errorMessage, type SensorHealth } from '@coldtrace/shared';
import ModbusRTU from 'modbus-serial';
import { z } from 'zod';
import type { GatewayContext, GatewayModule, NewReading } from '../module.js';
import { onClockDeadline } from './clock-deadline.js';
import { outcomeOfError } from './error-quality.js';
import {
  type ModbusBusConfig,
  type ModbusBusConfigInput,
  type ModbusSensorConfig,
  modbusBusConfigSchema,
  resolveMap,
  resolveRange,
} from './modbus-config.js';
import {
  assessRegisters,
  attemptsFor,
  isRetryable,
  type Outcome,
  type SensorFacts,
  sensorState,
} from './reading-quality.js';
import { readPlan } from './register-map.js';

/**
 * Counters of one bus. A poll is in progress from `polls` counting it until one of `readingsOk` or
 * `readingsError` counts its reading; `requests` counts Modbus requests written (retries included).
 */
export interface ModbusBusStats {
  polls: number;
  requests: number;
  readingsOk: number;
  readingsError: number;
  reopenAttempts: number;
}

export interface ModbusBusModule extends GatewayModule {
  readonly stats: ModbusBusStats;
  /** Current health of every sensor on the bus (the last objects given to `ctx.health.sensor`). */
  sensorHealth(): SensorHealth[];
}

/** Whether a gateway module is a Modbus bus (its name is `modbus:<bus id>`). */
export function isModbusBusModule(m: GatewayModule): m is ModbusBusModule {
  return m.name.startsWith('modbus:') && 'stats' in m && 'sensorHealth' in m;
}

interface SensorState extends SensorFacts {
  cfg: ModbusSensorConfig;
  plan: Array<{ start: number; count: number }>;
  timer: ClockTimer | undefined;
  queued: boolean;
  consecutiveErrors: number;
  /** The current humidity fault of an answering sensor, if any. */
  rhFault: string | undefined;
  health: SensorHealth;
}

/**
 * One RS-485 bus: opens the serial device with modbus-serial's RTU client, polls each sensor on its own
 * interval, one request at a time (Modbus over serial line V1.02 §2.1: a single master, one transaction
 * at a time), and turns every answer or fault into a reading. A device that vanishes is reopened with
 * the shared backoff (`reopenMinMs` doubling to `reopenMaxMs`) while `disconnected` readings keep the
 * monitoring gap on record.
 */
export function createModbusBusModule(input: ModbusBusConfigInput): ModbusBusModule {
  const parsed = modbusBusConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ColdtraceError(
      'invalid_config',
      `invalid modbus bus config:\n${z.prettifyError(parsed.error)}`,
    );
  }
  const config: ModbusBusConfig = parsed.data;
  const stats: ModbusBusStats = { polls: 0, requests: 0, readingsOk: 0, readingsError: 0, reopenAttempts: 0 };
  const sensors: SensorState[] = config.sensors.map((cfg) => {
    const map = resolveMap(cfg);
    return {
      cfg,
      map,
      range: resolveRange(cfg),
      calibrationOffsetC: cfg.calibrationOffsetC,
      plan: readPlan(map),
      timer: undefined,
      queued: false,
      consecutiveErrors: 0,
      rhFault: undefined,
      health: { sensorId: cfg.id, locationId: cfg.locationId, state: 'unknown' },
    };
  });

  let ctx: GatewayContext | undefined;
  let stopped = true;
  let client: ModbusRTU | undefined;
  let opening = false;
  let reopenTimer: ClockTimer | undefined;
  const reopenBackoff = new Backoff({ initialMs: config.reopenMinMs, maxMs: config.reopenMaxMs });
  const queue: SensorState[] = [];
  let pumping: Promise<void> | undefined;

  const log = () => ctx!.log;

  const isOpen = () => client?.isOpen === true;

  const scheduleReopen = () => {
    if (stopped || reopenTimer !== undefined || opening) return;
    reopenTimer = ctx!.clock.setTimeout(() => {
      reopenTimer = undefined;
      void openPort();
    }, reopenBackoff.fail());
  };

  const portLost = (c: ModbusRTU, why: string) => {
    if (client !== c) return;
    client = undefined;
    log().warn({ bus: config.id, path: config.path, why }, 'modbus device lost; reopening with backoff');
    try {
      c.close(() => {});
    } catch {
      // already closed
    }
    scheduleReopen();
  };

  const openPort = async (): Promise<void> => {
    if (stopped || opening || isOpen()) return;
    opening = true;
    stats.reopenAttempts++;
    const c = new ModbusRTU();
    // modbus-serial re-emits serial errors; an EventEmitter 'error' without a listener would throw.
    c.on('error', (err: unknown) => portLost(c, errorMessage(err)));
    try {
      await c.connectRTUBuffered(config.path, {
        baudRate: config.baudRate,
        parity: config.parity,
        stopBits: config.stopBits,
        dataBits: config.dataBits,
      });
      opening = false;
      if (stopped) {
        c.close(() => {});
        return;
      }
      client = c;
      reopenBackoff.succeed();
      c.on('close', () => portLost(c, 'port closed'));
      log().info({ bus: config.id, path: config.path }, 'modbus device open');
    } catch (err) {
      opening = false;
      log().warn({ bus: config.id, path: config.path, err: errorMessage(err) }, 'cannot open modbus device');
      scheduleReopen();
    }
  };

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || !ctx) resolve();
      else ctx.clock.setTimeout(resolve, ms);
    });

  const readOnce = async (c: ModbusRTU, s: SensorState): Promise<Outcome> => {
    c.setID(s.cfg.address);
    const onClock = config.timeoutClock === 'gateway';
    c.setTimeout(onClock ? 0 : config.timeoutMs);
    const words = new Map<number, number>();
    for (const span of s.plan) {
      stats.requests++;
      const request =
        s.map.functionCode === 4
          ? c.readInputRegisters(span.start, span.count)
          : c.readHoldingRegisters(span.start, span.count);
      const res = await (onClock ? onClockDeadline(request, ctx!.clock, config.timeoutMs) : request);
      res.data.forEach((w, i) => {
        words.set(span.start + i, w);
      });
    }
    return assessRegisters(s, words);
  };

  const poll = async (s: SensorState): Promise<void> => {
    stats.polls++;
    const attempts = attemptsFor(s.consecutiveErrors, config.retries);
    let outcome: Outcome = { quality: 'disconnected', error: `device ${config.path} not open` };
    for (let i = 0; i < attempts; i++) {
      const c = client;
      if (!c?.isOpen) {
        outcome = { quality: 'disconnected', error: `device ${config.path} not open` };
        break;
      }
      try {
        outcome = await readOnce(c, s);
        break;
      } catch (err) {
        outcome = outcomeOfError(err, c.isOpen);
        if (outcome.quality === 'disconnected') {
          portLost(c, outcome.error);
          break;
        }
        if (!isRetryable(outcome.quality)) break;
        if (i + 1 < attempts) await delay(config.retryDelayMs);
      }
    }
    report(s, outcome);
  };

  const report = (s: SensorState, o: Outcome) => {
    const c = ctx!;
    const ts = c.clock.now();
    const reading: NewReading =
      o.quality === 'ok' && 'tempC' in o
        ? {
            sensorId: s.cfg.id,
            locationId: s.cfg.locationId,
            ts,
            tempC: o.tempC,
            ...(o.rh !== undefined ? { rh: o.rh } : {}),
            quality: 'ok',
          }
        : { sensorId: s.cfg.id, locationId: s.cfg.locationId, ts, tempC: null, quality: o.quality };
    if (reading.quality === 'ok') {
      stats.readingsOk++;
      s.consecutiveErrors = 0;
    } else {
      stats.readingsError++;
      s.consecutiveErrors++;
    }
    try {
      c.records.readings([reading]);
    } catch (err) {
      c.log.error(
        { bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) },
        'record sink refused a reading',
      );
    }
    const rhFault = 'rhError' in o ? o.rhError : undefined;
    const lastError = 'error' in o ? o.error : rhFault;
    const state = sensorState(reading.quality, s.consecutiveErrors, config.failAfter, rhFault !== undefined);
    s.health = {
      sensorId: s.cfg.id,
      locationId: s.cfg.locationId,
      state,
      quality: reading.quality,
      lastReadingTs: ts,
      consecutiveErrors: s.consecutiveErrors,
      ...(lastError !== undefined ? { lastError } : {}),
    };
    if (reading.quality === 'ok' && (rhFault === undefined) !== (s.rhFault === undefined)) {
      if (rhFault) c.log.warn({ bus: config.id, sensorId: s.cfg.id, err: rhFault }, 'humidity fault');
      else c.log.info({ bus: config.id, sensorId: s.cfg.id }, 'humidity good again');
      s.rhFault = rhFault;
    }
    // Every poll: the gateway keeps lastReadingTs and consecutiveErrors of its status fresh, and
    // republishes the status at once only when state or quality changed.
    try {
      c.health.sensor(s.health);
    } catch (err) {
      c.log.error({ bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) }, 'health registry failed');
    }
  };

  const pump = () => {
    if (pumping || stopped) return;
    pumping = (async () => {
      while (!stopped && queue.length > 0) {
        const s = queue.shift()!;
        try {
          await poll(s);
        } catch (err) {
          ctx?.log.error(
            { bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) },
            'modbus poll failed',
          );
        } finally {
          s.queued = false;
        }
        // Modbus over serial line V1.02 §2.5.1.1: leave the bus silent between transactions.
        if (queue.length > 0) await delay(config.retryDelayMs);
      }
    })().finally(() => {
      pumping = undefined;
      if (!stopped && queue.length > 0) pump();
    });
  };

  const due = (s: SensorState) => {
    if (stopped || s.queued) return; // still waiting its turn: never pile up requests
    s.queued = true;
    queue.push(s);
    pump();
  };

  return {
    name: `modbus:${config.id}`,
    stats,
    sensorHealth: () => sensors.map((s) => s.health),
    async start(c: GatewayContext) {
      ctx = c;
      stopped = false;
      for (const s of sensors) c.health.sensor(s.health);
      await openPort();
      for (const s of sensors) {
        s.timer = c.clock.setInterval(() => due(s), s.cfg.pollMs);
        due(s);
      }
    },
    async stop() {
      stopped = true;
      for (const s of sensors) ctx?.clock.clearInterval(s.timer);
      ctx?.clock.clearTimeout(reopenTimer);
      reopenTimer = undefined;
      queue.length = 0;
      await pumping;
      const c = client;
      client = undefined;
      if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
    },
  };
}
