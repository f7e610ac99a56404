import {
  analyzeSeries,
  ColdtraceError,
  classify,
  errorMessage,
  type Reading,
  type Run,
  type Sample,
  type TempLimits,
} from '@coldtrace/shared';
import { z } from 'zod';
import type { GatewayContext, GatewayModule, NewAlarm } from '../module.js';
import { type LocalAlarmsConfigInput, localAlarmsConfigSchema } from './local-alarms-config.js';

export interface LocalAlarmsModule extends GatewayModule {
  /** alarmIds currently raised, for the gateway's `status.activeAlarms`. */
  activeAlarms(): string[];
}

type Direction = 'high' | 'low';

interface SensorWindow {
  samples: Sample[];
  /** The sensor's ongoing excursion, if any. */
  active: { dir: Direction; run: Run } | null;
}

interface Raised {
  severity: 'warning' | 'critical';
}

/**
 * Local alarms at the edge (docs/architecture.md "Local alarms"): evaluated on event time with the
 * shared excursion math, so they behave the same while the uplink is down. Per location and direction
 * one alarm (`temperature_high:<locationId>`) is raised when any of its sensors' ongoing out-of-range
 * runs becomes an excursion (docs/architecture.md "Excursion"), escalated to critical when a reading
 * passes the critical margin, and cleared once no sensor of the location is out that way any more (the
 * first in-range reading of the last one). `sensor_fault:<sensorId>` follows consecutive error readings.
 */
export function createLocalAlarmsModule(input: LocalAlarmsConfigInput): LocalAlarmsModule {
  const parsed = localAlarmsConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new ColdtraceError(
      'invalid_config',
      `invalid local alarms config:\n${z.prettifyError(parsed.error)}`,
    );
  const config = parsed.data;
  const limits = new Map<string, TempLimits>(config.locations.map((l) => [l.id, l.limits]));
  const windows = new Map<string, SensorWindow>(); // key: locationId \0 sensorId
  const sensorErrors = new Map<string, number>();
  const raised = new Map<string, Raised>();
  let ctx: GatewayContext | undefined;
  let unsubscribe: (() => void) | undefined;

  const emit = (alarms: NewAlarm[]) => {
    if (alarms.length === 0 || !ctx) return;
    try {
      ctx.records.alarms(alarms);
    } catch (err) {
      ctx.log.error({ err: errorMessage(err) }, 'record sink refused alarms');
    }
  };

  const sensorFault = (r: Reading, out: NewAlarm[]) => {
    const alarmId = `sensor_fault:${r.sensorId}`;
    if (r.quality === 'ok') {
      sensorErrors.set(r.sensorId, 0);
      if (raised.delete(alarmId)) {
        out.push({
          alarmId,
          kind: 'sensor_fault',
          state: 'cleared',
          severity: 'warning',
          ts: r.ts,
          locationId: r.locationId,
          sensorId: r.sensorId,
          message: `sensor ${r.sensorId} answers again`,
        });
      }
      return;
    }
    const n = (sensorErrors.get(r.sensorId) ?? 0) + 1;
    sensorErrors.set(r.sensorId, n);
    if (n >= config.sensorFaultAfter && !raised.has(alarmId)) {
      raised.set(alarmId, { severity: 'warning' });
      out.push({
        alarmId,
        kind: 'sensor_fault',
        state: 'raised',
        severity: 'warning',
        ts: r.ts,
        locationId: r.locationId,
        sensorId: r.sensorId,
        message: `sensor ${r.sensorId}: ${n} consecutive error readings (last: ${r.quality})`,
      });
    }
  };

  const evaluateSensor = (w: SensorWindow, l: TempLimits) => {
    const { runs } = analyzeSeries(w.samples, l);
    const last = runs.at(-1);
    const ongoing = last && last.endTs === null ? last : undefined;
    w.active = ongoing?.isExcursion
      ? { dir: classify(ongoing.peakC, l) === 'low' ? 'low' : 'high', run: ongoing }
      : null;
    // Bound the window: only the ongoing run matters for what comes next.
    if (!ongoing) w.samples = w.samples.slice(-1);
    else {
      w.samples = w.samples.filter((s) => s.ts >= ongoing.startTs);
      if (w.samples.length > config.maxWindowSamples) w.samples = w.samples.slice(-config.maxWindowSamples);
    }
  };

  const evaluateLocation = (
    locationId: string,
    l: TempLimits,
    atTs: number,
    atTempC: number | null,
    out: NewAlarm[],
  ) => {
    for (const dir of ['high', 'low'] as const) {
      const alarmId = `temperature_${dir}:${locationId}`;
      let worst: Run | undefined;
      for (const [key, w] of windows) {
        if (!key.startsWith(`${locationId}\0`) || w.active?.dir !== dir) continue;
        const run = w.active.run;
        if (!worst || run.peakExcessC > worst.peakExcessC) worst = run;
      }
      const current = raised.get(alarmId);
      if (worst) {
        const anyCritical = [...windows].some(
          ([k, w]) => k.startsWith(`${locationId}\0`) && w.active?.dir === dir && w.active.run.critical,
        );
        const severity = anyCritical ? 'critical' : 'warning';
        if (current && (current.severity === severity || severity === 'warning')) continue;
        raised.set(alarmId, { severity });
        out.push({
          alarmId,
          kind: dir === 'high' ? 'temperature_high' : 'temperature_low',
          state: 'raised',
          severity,
          ts: current ? atTs : (worst.excursionAt ?? atTs),
          locationId,
          value: worst.peakC,
          message:
            `${locationId}: temperature ${dir === 'high' ? 'above' : 'below'} ${dir === 'high' ? l.maxC : l.minC} °C ` +
            `since ${new Date(worst.startTs).toISOString()} (peak ${worst.peakC} °C)` +
            (current ? '; passed the critical margin' : ''),
        });
      } else if (current) {
        raised.delete(alarmId);
        out.push({
          alarmId,
          kind: dir === 'high' ? 'temperature_high' : 'temperature_low',
          state: 'cleared',
          severity: current.severity,
          ts: atTs,
          locationId,
          ...(atTempC !== null ? { value: atTempC } : {}),
          message: `${locationId}: temperature back in range`,
        });
      }
    }
  };

  const onReadings = (readings: readonly Reading[]) => {
    const out: NewAlarm[] = [];
    try {
      for (const r of readings) {
        sensorFault(r, out);
        const l = limits.get(r.locationId);
        if (!l) continue;
        const key = `${r.locationId}\0${r.sensorId}`;
        let w = windows.get(key);
        if (!w) {
          w = { samples: [], active: null };
          windows.set(key, w);
        }
        w.samples.push({ ts: r.ts, tempC: r.quality === 'ok' ? r.tempC : null });
        evaluateSensor(w, l);
        evaluateLocation(r.locationId, l, r.ts, r.quality === 'ok' ? r.tempC : null, out);
      }
    } catch (err) {
      ctx?.log.error({ err: errorMessage(err) }, 'local alarm evaluation failed');
    }
    emit(out);
  };

  return {
    name: 'local-alarms',
    activeAlarms: () => [...raised.keys()].sort(),
    async start(c: GatewayContext) {
      ctx = c;
      unsubscribe = c.onReadings(onReadings);
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
