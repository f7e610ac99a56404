import { type Alarm, type Clock, type Reading, type SensorHealth, systemClock } from '@coldtrace/shared';
import { pino } from 'pino';
import type { GatewayContext, NewAlarm, NewReading } from '../../src/module.js';

/** A GatewayContext whose sink records what modules emit (the sink is not under test here), and its logs. */
export function collectingContext(clock: Clock = systemClock) {
  const logs: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const readings: Reading[] = [];
  const alarms: Alarm[] = [];
  const health: SensorHealth[] = [];
  const listeners = new Set<(r: readonly Reading[]) => void>();
  let seq = 0;
  let alarmSeq = 0;
  const ctx: GatewayContext = {
    gatewayId: 'gw-test',
    clock,
    log: pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    records: {
      readings(rs: NewReading[]) {
        const stored = rs.map((r) => ({ ...r, seq: ++seq }));
        readings.push(...stored);
        for (const l of listeners) l(stored);
      },
      movements() {},
      alarms(as: NewAlarm[]) {
        alarms.push(...as.map((a) => ({ ...a, seq: ++alarmSeq })));
      },
    },
    health: {
      reader() {},
      sensor(h) {
        health.push(h);
      },
    },
    onReadings(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { ctx, readings, alarms, health, logs };
}
