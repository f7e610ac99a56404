import type { ReaderHealth } from '@coldtrace/shared';
import { systemClock } from '@coldtrace/shared';
import { pino } from 'pino';
import type { GatewayContext, NewMovement } from '../../src/module.js';

/** A gateway context whose RecordSink collects movements in memory (the buffer is not under test). */
export function collectingContext() {
  const movements: NewMovement[] = [];
  const health: ReaderHealth[] = [];
  const ctx: GatewayContext = {
    gatewayId: 'gw-test',
    clock: systemClock,
    log: pino({ level: 'silent' }),
    records: {
      readings: () => {},
      movements: (m) => {
        movements.push(...m);
      },
      alarms: () => {},
    },
    health: { reader: (h) => health.push(h), sensor: () => {} },
    onReadings: () => () => {},
  };
  return { ctx, movements, health };
}

export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
