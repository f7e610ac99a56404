import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type CalibrationPass, passCalibrationAlarms } from '../store/calibration-alarms.js';
import type { Database } from '../store/schema.js';
import type { CloudModule } from './cloud-module.js';

export interface CalibrationModuleOptions {
  db: Kysely<Database>;
  /** Due dates are calendar dates: checked against the wall clock. */
  wallClock: Clock;
  /** The outbox's clock (the data clock), which schedules the integration events. */
  clock: Clock;
  /** How often the calibrations are checked (default hourly); also at start and on `check()`. */
  intervalMs?: number | undefined;
  registry?: Registry | undefined;
  log: Logger;
  /** After a pass that raised or cleared alarms: the outbox delivers their events at once. */
  onEvents?: (() => void) | undefined;
}

export interface CalibrationModule extends CloudModule {
  /** One pass now (also what the timer runs); a failure is logged, counted and returned as null. */
  check(): Promise<CalibrationPass | null>;
}

/**
 * Sensor calibration alarms (docs/domain.md "Sensor calibration"): periodically raises an alarm for each
 * sensor whose calibration fell due and clears it once the sensor is recalibrated (store/
 * calibration-alarms.ts); `coldtrace_sensors_calibration_overdue` says how many are overdue now. Optional:
 * a failing pass is logged and counted, never fatal.
 */
export function calibrationModule(o: CalibrationModuleOptions): CalibrationModule {
  const reg = o.registry ? [o.registry] : [];
  const overdue = new Gauge({
    name: 'coldtrace_sensors_calibration_overdue',
    help: 'Sensors whose recorded calibration is past its due date (at the last check)',
    registers: reg,
  });
  const failures = new Counter({
    name: 'coldtrace_calibration_check_failures_total',
    help: 'Calibration checks that failed (logged; retried at the next interval)',
    registers: reg,
  });
  let timer: ReturnType<Clock['setInterval']> | undefined;
  let running: Promise<CalibrationPass | null> | undefined;
  const pass = async (): Promise<CalibrationPass | null> => {
    try {
      const r = await passCalibrationAlarms(o.db, o.wallClock.now(), o.clock.now());
      overdue.set(r.overdue);
      for (const e of r.raised)
        o.log.warn(
          { sensor: e.sensorId, dueAt: e.dueAt },
          `calibration of sensor ${e.sensorName} is overdue`,
        );
      if (r.raised.length + r.cleared.length > 0) o.onEvents?.();
      return r;
    } catch (err) {
      failures.inc();
      o.log.warn({ err: errorMessage(err) }, 'calibration check failed');
      return null;
    }
  };
  const check = () => {
    // One pass at a time; a check asked for during one runs after it (it may see a newer calibration).
    const next = (running ?? Promise.resolve(null)).then(pass);
    running = next;
    return next;
  };
  return {
    name: 'calibration alarms',
    required: false,
    check,
    async start() {
      await check();
      timer = o.wallClock.setInterval(() => void check(), o.intervalMs ?? 3_600_000);
    },
    async stop() {
      if (timer !== undefined) o.wallClock.clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
