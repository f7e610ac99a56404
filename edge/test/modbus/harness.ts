import { type ModbusSimulatorOptions, startModbusSimulator } from '@coldtrace/firmware-sim';
import { type Alarm, type Clock, type Reading, type SensorHealth, systemClock } from '@coldtrace/shared';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { createModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import type { ModbusBusConfigInput } from '../../src/modbus/modbus-config.js';
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

/** A Modbus simulator for the current test, closed when the test finishes. */
export async function simForTest(opts: ModbusSimulatorOptions) {
  const sim = await startModbusSimulator(opts);
  onTestFinished(() => sim.close());
  return sim;
}

/** A bus module started for the current test, stopped when the test finishes. */
export async function busForTest(input: ModbusBusConfigInput, ctx: GatewayContext) {
  const mod = createModbusBusModule(input);
  onTestFinished(() => mod.stop());
  await mod.start(ctx);
  return mod;
}
