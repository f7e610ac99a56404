import {
  type ClockTimer,
  ColdtraceError,
  errorMessage,
  type ReadingQuality,
  type SensorHealth,
} from '@coldtrace/shared';
import ModbusRTU from 'modbus-serial';
import { z } from 'zod';
import type { GatewayContext, GatewayModule, NewReading } from '../module.js';
import { describeError, qualityOfError } from './error-quality.js';
import {
  type ModbusBusConfig,
  type ModbusBusConfigInput,
  type ModbusSensorConfig,
  modbusBusConfigSchema,
  type RegisterMap,
  resolveMap,
  resolveRange,
} from './modbus-config.js';
import { decodeValue, readPlan, round3 } from './register-map.js';

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

interface SensorState {
  cfg: ModbusSensorConfig;
  map: RegisterMap;
  range: { minC: number; maxC: number };
  plan: Array<{ start: number; count: number }>;
  timer: ClockTimer | undefined;
  queued: boolean;
  consecutiveErrors: number;
  /** The current humidity fault of an answering sensor, if any. */
  rhFault: string | undefined;
  health: SensorHealth;
}

type Outcome =
  /** `rh` absent: the map has no humidity; null with `rhError`: a humidity fault (docs/modbus.md). */
  | { quality: 'ok'; tempC: number; rh?: number | null; rhError?: string }
  | { quality: ReadingQuality; error: string };

/**
 * One RS-485 bus: opens the serial device with modbus-serial's RTU client, polls each sensor on its own
 * interval, one request at a time (Modbus over serial line V1.02 §2.1: a single master, one transaction
 * at a time), and turns every answer or fault into a reading. A device that vanishes is reopened with
 * backoff while `disconnected` readings keep the monitoring gap on record.
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
  let reopenDelayMs = config.reopenMinMs;
  const queue: SensorState[] = [];
  let pumping: Promise<void> | undefined;

  const log = () => ctx!.log;

  const isOpen = () => client?.isOpen === true;

  const scheduleReopen = () => {
    if (stopped || reopenTimer !== undefined || opening) return;
    const delay = reopenDelayMs;
    reopenDelayMs = Math.min(config.reopenMaxMs, reopenDelayMs * 2);
    reopenTimer = ctx!.clock.setTimeout(() => {
      reopenTimer = undefined;
      void openPort();
    }, delay);
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
      reopenDelayMs = config.reopenMinMs;
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
    c.setTimeout(config.timeoutMs);
    const words = new Map<number, number>();
    for (const span of s.plan) {
      stats.requests++;
      const res =
        s.map.functionCode === 4
          ? await c.readInputRegisters(span.start, span.count)
          : await c.readHoldingRegisters(span.start, span.count);
      res.data.forEach((w, i) => {
        words.set(span.start + i, w);
      });
    }
    const t = decodeValue(s.map.temperature, words);
    if (t.kind === 'sentinel') return { quality: 'sentinel', error: `sentinel value ${t.raw}` };
    const tempC = round3(t.value + s.cfg.calibrationOffsetC);
    if (!(tempC >= s.range.minC && tempC <= s.range.maxC)) {
      return {
        quality: 'out_of_physical_range',
        error: `temperature ${tempC} °C outside ${s.range.minC}..${s.range.maxC}`,
      };
    }
    if (!s.map.humidity) return { quality: 'ok', tempC };
    // A humidity fault does not void the temperature: the reading stays `ok` with rh null, and the
    // sensor's state says what is wrong (docs/modbus.md "Humidity faults").
    const h = decodeValue(s.map.humidity, words);
    if (h.kind === 'sentinel')
      return { quality: 'ok', tempC, rh: null, rhError: `humidity: sentinel value ${h.raw}` };
    const rh = round3(h.value);
    if (!(rh >= 0 && rh <= 100)) {
      return { quality: 'ok', tempC, rh: null, rhError: `humidity ${rh} %RH outside 0..100` };
    }
    return { quality: 'ok', tempC, rh };
  };

  const poll = async (s: SensorState): Promise<void> => {
    stats.polls++;
    // Retries only while the sensor was answering, so a dead sensor costs one timeout per interval.
    const attempts = s.consecutiveErrors === 0 ? 1 + config.retries : 1;
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
        const q = qualityOfError(err);
        outcome = { quality: c.isOpen ? q : 'disconnected', error: describeError(err) };
        if (outcome.quality === 'disconnected') {
          portLost(c, describeError(err));
          break;
        }
        if (q !== 'timeout' && q !== 'crc_error') break;
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
    const lastError = 'error' in o ? o.error : 'rhError' in o ? o.rhError : undefined;
    const state: SensorHealth['state'] =
      reading.quality !== 'ok'
        ? s.consecutiveErrors >= config.failAfter
          ? 'failed'
          : 'degraded'
        : lastError !== undefined
          ? 'degraded' // the temperature is good, the humidity is not
          : 'ok';
    s.health = {
      sensorId: s.cfg.id,
      locationId: s.cfg.locationId,
      state,
      quality: reading.quality,
      lastReadingTs: ts,
      consecutiveErrors: s.consecutiveErrors,
      ...(lastError !== undefined ? { lastError } : {}),
    };
    const rhFault = 'rhError' in o ? o.rhError : undefined;
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
