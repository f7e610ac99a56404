import {
  type Clock,
  type ClockTimer,
  ColdtraceError,
  errorMessage,
  type SensorHealth,
  systemClock,
} from '@coldtrace/shared';
import { z } from 'zod';
import type { GatewayContext, GatewayModule } from '../module.js';
import { type BusDevice, createBusDevice, type OpenDevice } from './bus-device.js';
import { type ModbusBusReport, type SensorCounters, zeroCounters } from './bus-report.js';
import { onClockDeadline } from './clock-deadline.js';
import { outcomeOfError } from './error-quality.js';
import type { Discarded } from './matched-rtu-port.js';
import {
  type ModbusBusConfig,
  type ModbusBusConfigInput,
  type ModbusSensorConfig,
  modbusBusConfigSchema,
  resolveMap,
  resolveRange,
} from './modbus-config.js';
import { afterPoll, nextTurn, type OverrunState } from './poll-schedule.js';
import {
  assessRegisters,
  attemptsFor,
  isRetryable,
  type Outcome,
  type SensorFacts,
} from './reading-quality.js';
import { readPlan } from './register-map.js';
import { reportOutcome } from './sensor-outcome.js';

/** A sensor's late replies are logged at most this often (the counter has them all). */
const LATE_LOG_EVERY_MS = 10 * 60_000;

/**
 * Counters of one bus. A poll is in progress from `polls` counting it until one of `readingsOk` or
 * `readingsError` counts its reading; `requests` counts Modbus requests written (retries included).
 */
export interface ModbusBusStats {
  polls: number;
  requests: number;
  readingsOk: number;
  readingsError: number;
  readonly reopenAttempts: number;
}

export interface ModbusBusModule extends GatewayModule {
  readonly stats: ModbusBusStats;
  /** Current health of every sensor on the bus (the last objects given to `ctx.health.sensor`). */
  sensorHealth(): SensorHealth[];
  /** Counters and state for `/metrics`. */
  report(): ModbusBusReport;
}

/** Whether a gateway module is a Modbus bus (its name is `modbus:<bus id>`). */
export function isModbusBusModule(m: GatewayModule): m is ModbusBusModule {
  return m.name.startsWith('modbus:') && 'stats' in m && 'sensorHealth' in m;
}

export interface SensorState extends SensorFacts {
  cfg: ModbusSensorConfig;
  plan: Array<{ start: number; count: number }>;
  timer: ClockTimer | undefined;
  /** Due and waiting for its turn on the bus (at most one poll waits per sensor). */
  waiting: boolean;
  consecutiveErrors: number;
  /** The current humidity fault of an answering sensor, if any. */
  rhFault: string | undefined;
  health: SensorHealth;
  counters: SensorCounters;
  /** Periods lost since the sensor's last poll started. */
  missedSinceLast: number;
  period: OverrunState;
  /** Until then (timeout clock) its address is not asked: the answer to a timed-out request may still come. */
  quietUntil: number;
  /** Bus time of its last poll (timeout clock). */
  lastPollMs: number;
  /** When it last had the bus, in turns (0: never). */
  lastTurn: number;
  lateLoggedAt: number | undefined;
  lateSinceLog: number;
}

/**
 * One RS-485 bus: polls each sensor on its own period, one request at a time (Modbus over Serial Line
 * V1.02 §2.1: a single master, one transaction at a time), and turns every answer or fault into a
 * reading. Answers are matched to their request by the device's port (`matched-rtu-port.ts`); a
 * timed-out sensor's address rests for `lateReplyWindowMs` so that its late answer cannot be taken for
 * a new request's. Of the sensors due, the one that had the bus least recently goes next
 * (`nextTurn`): a slow or dead sensor delays the others by its timeouts, but no sensor takes two turns
 * while another waits. A sensor still waiting when its next period falls due loses that period, which
 * is counted and flagged (docs/modbus.md "Poll periods and fair turns").
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
  const lateWindowMs = config.lateReplyWindowMs ?? config.timeoutMs;
  const sensors: SensorState[] = config.sensors.map((cfg) => {
    const map = resolveMap(cfg);
    return {
      cfg,
      map,
      range: resolveRange(cfg),
      calibrationOffsetC: cfg.calibrationOffsetC,
      plan: readPlan(map),
      timer: undefined,
      waiting: false,
      consecutiveErrors: 0,
      rhFault: undefined,
      health: { sensorId: cfg.id, locationId: cfg.locationId, state: 'unknown' },
      counters: zeroCounters(),
      missedSinceLast: 0,
      period: { overrun: false, onTimeStreak: 0 },
      quietUntil: Number.NEGATIVE_INFINITY,
      lastPollMs: 0,
      lastTurn: 0,
      lateLoggedAt: undefined,
      lateSinceLog: 0,
    };
  });
  const byAddress = new Map(sensors.map((s) => [s.cfg.address, s]));
  const discards = { unmatchedFrames: 0, noiseBytes: 0 };

  let ctx: GatewayContext | undefined;
  /** What times responses and late-reply windows: the system clock, or the gateway's (`timeoutClock`). */
  let timeClock: Clock = systemClock;
  let device: BusDevice | undefined;
  let stopped = true;
  const queue: SensorState[] = [];
  let pumping: Promise<void> | undefined;
  /** Polls started on this bus: the clock of `lastTurn`. */
  let turns = 0;
  /** Ends the pump's wait for a quiet address early (a sensor fell due, or stop). */
  let wake: (() => void) | undefined;

  const stats: ModbusBusStats = {
    polls: 0,
    requests: 0,
    readingsOk: 0,
    readingsError: 0,
    get reopenAttempts() {
      return device?.reopenAttempts ?? 0;
    },
  };

  const sleep = (clock: Clock, ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) resolve();
      else clock.setTimeout(resolve, ms);
    });

  const onDiscard = (d: Discarded) => {
    if (d.kind === 'noise') {
      discards.noiseBytes += d.bytes;
      return;
    }
    const s = d.kind === 'late' ? byAddress.get(d.address) : undefined;
    if (d.kind !== 'late' || !s) {
      discards.unmatchedFrames++;
      return;
    }
    s.counters.lateReplies++;
    s.lateSinceLog++;
    const now = ctx!.clock.now();
    if (s.lateLoggedAt !== undefined && now - s.lateLoggedAt < LATE_LOG_EVERY_MS) return;
    ctx!.log.warn(
      {
        bus: config.id,
        sensorId: s.cfg.id,
        answeredAfterMs: d.afterMs,
        timeoutMs: config.timeoutMs,
        lateReplies: s.lateSinceLog,
      },
      'late modbus reply discarded: the sensor answers after timeoutMs; raise timeoutMs above its answer time',
    );
    s.lateLoggedAt = now;
    s.lateSinceLog = 0;
  };

  const readOnce = async (d: OpenDevice, s: SensorState): Promise<Outcome> => {
    d.client.setID(s.cfg.address);
    // modbus-serial's own timer is off: the deadline below ends the request and tells the port.
    d.client.setTimeout(0);
    const words = new Map<number, number>();
    for (const span of s.plan) {
      stats.requests++;
      s.counters.requests++;
      const request =
        s.map.functionCode === 4
          ? d.client.readInputRegisters(span.start, span.count)
          : d.client.readHoldingRegisters(span.start, span.count);
      const res = await onClockDeadline(request, timeClock, config.timeoutMs, () => d.port.abandon());
      res.data.forEach((w, i) => {
        words.set(span.start + i, w);
      });
    }
    return assessRegisters(s, words);
  };

  /** Counts a failed request by kind; a timeout starts the address's late-reply window. */
  const countFailure = (s: SensorState, quality: Outcome['quality']) => {
    if (quality === 'timeout') {
      s.counters.timeouts++;
      s.quietUntil = timeClock.now() + lateWindowMs;
    } else if (quality === 'crc_error') s.counters.crcErrors++;
    else if (quality === 'modbus_exception') s.counters.exceptions++;
  };

  const notePeriod = (s: SensorState) => {
    const was = s.period.overrun;
    s.period = afterPoll(s.period, s.missedSinceLast);
    const fields = { bus: config.id, sensorId: s.cfg.id, pollMs: s.cfg.pollMs, busCycleMs: cycleMs() };
    if (!was && s.period.overrun) {
      ctx!.log.warn(
        { ...fields, missedPolls: s.missedSinceLast },
        'modbus poll period cannot be kept: the bus needs longer to poll every sensor once',
      );
    } else if (was && !s.period.overrun) ctx!.log.info(fields, 'modbus poll period kept again');
    s.missedSinceLast = 0;
  };

  const poll = async (s: SensorState): Promise<void> => {
    stats.polls++;
    s.counters.polls++;
    notePeriod(s);
    const started = timeClock.now();
    const attempts = attemptsFor(s.consecutiveErrors, config.retries);
    let outcome: Outcome = { quality: 'disconnected', error: `device ${config.path} not open` };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        await sleep(ctx!.clock, config.retryDelayMs);
        await sleep(timeClock, s.quietUntil - timeClock.now());
        s.counters.retries++;
      }
      const d = device?.current();
      if (!d) {
        outcome = { quality: 'disconnected', error: `device ${config.path} not open` };
        break;
      }
      try {
        outcome = await readOnce(d, s);
        break;
      } catch (err) {
        outcome = outcomeOfError(err, d.client.isOpen);
        countFailure(s, outcome.quality);
        if (outcome.quality === 'disconnected') {
          device?.lost(d, outcome.error);
          break;
        }
        if (!isRetryable(outcome.quality)) break;
      }
    }
    s.lastPollMs = timeClock.now() - started;
    reportOutcome(ctx!, config, stats, s, outcome);
  };

  const cycleMs = () => sensors.reduce((sum, s) => sum + s.lastPollMs, 0);

  /** Waits (timeout clock) until the earliest quiet address may be asked, or until woken. */
  const waitForQuiet = () =>
    new Promise<void>((resolve) => {
      const now = timeClock.now();
      const ms = Math.min(...queue.map((s) => s.quietUntil - now));
      const timer = timeClock.setTimeout(done, Math.max(0, ms));
      function done() {
        timeClock.clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const pump = () => {
    if (pumping || stopped) return;
    pumping = (async () => {
      while (!stopped && queue.length > 0) {
        const i = nextTurn(queue, timeClock.now());
        if (i === undefined) {
          await waitForQuiet();
          continue;
        }
        const s = queue.splice(i, 1)[0]!;
        s.waiting = false;
        s.lastTurn = ++turns;
        try {
          await poll(s);
        } catch (err) {
          ctx?.log.error(
            { bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) },
            'modbus poll failed',
          );
        }
        // Modbus over Serial Line V1.02 §2.5.1.1: leave the bus silent between transactions.
        if (queue.length > 0) await sleep(ctx!.clock, config.retryDelayMs);
      }
    })().finally(() => {
      pumping = undefined;
      if (!stopped && queue.length > 0) pump();
    });
  };

  const due = (s: SensorState) => {
    if (stopped) return;
    if (s.waiting) {
      // Still waiting for its turn: this period is lost (never two polls of one sensor queued).
      s.missedSinceLast++;
      s.counters.missedPolls++;
      return;
    }
    s.waiting = true;
    queue.push(s);
    wake?.();
    pump();
  };

  return {
    name: `modbus:${config.id}`,
    stats,
    sensorHealth: () => sensors.map((s) => s.health),
    report: () => ({
      busId: config.id,
      deviceOpen: device?.current() !== undefined,
      reopenAttempts: stats.reopenAttempts,
      cycleMs: cycleMs(),
      ...discards,
      sensors: sensors.map((s) => ({ sensorId: s.cfg.id, ...s.counters, pollOverrun: s.period.overrun })),
    }),
    async start(c: GatewayContext) {
      ctx = c;
      timeClock = config.timeoutClock === 'gateway' ? c.clock : systemClock;
      stopped = false;
      for (const s of sensors) c.health.sensor(s.health);
      device = createBusDevice({ config, clock: c.clock, timeClock, log: c.log, onDiscard });
      await device.start();
      for (const s of sensors) {
        s.timer = c.clock.setInterval(() => due(s), s.cfg.pollMs);
        due(s);
      }
    },
    async stop() {
      stopped = true;
      for (const s of sensors) ctx?.clock.clearInterval(s.timer);
      queue.length = 0;
      wake?.();
      await pumping;
      await device?.stop();
    },
  };
}
