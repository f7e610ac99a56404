import { startModbusSimulator } from '@coldtrace/firmware-sim';
import { scaledClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { createLocalAlarmsModule } from '../../src/alarms/local-alarms-module.js';
import { createModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import { collectingContext, waitFor } from '../modbus/harness.js';

const MIN = 60_000;

describe('local alarm from a compressor failure over a real pty, no network', () => {
  it('raises temperature_high after the configured delay on scenario time', async () => {
    // 1 real ms = 0.6 scenario s: the 5-minute delay passes in about half a real second.
    const clock = scaledClock(Date.UTC(2026, 5, 1, 8), 600);
    const sim = await startModbusSimulator({
      clock,
      seed: 7,
      sensors: [
        {
          address: 1,
          profile: {
            kind: 'compressor-failure',
            baseC: 4,
            failAtMs: 0,
            rateCPerMin: 1,
            ambientC: 25,
            noiseC: 0.05,
          },
        },
      ],
    });
    const h = collectingContext(clock);
    const bus = createModbusBusModule({
      id: 'reefer',
      path: sim.devicePath,
      timeoutMs: 200,
      retryDelayMs: 0,
      sensors: [{ id: 'reefer-t1', address: 1, locationId: 'truck-7', pollMs: 20_000 }],
    });
    const alarms = createLocalAlarmsModule({
      locations: [
        {
          id: 'truck-7',
          limits: { minC: 2, maxC: 8, alarmDelayMs: 5 * MIN, criticalMarginC: 10, maxGapMs: 10 * MIN },
        },
      ],
    });
    try {
      await alarms.start(h.ctx);
      await bus.start(h.ctx);
      await waitFor(() => h.alarms.length > 0, 20_000, 'alarm');
      const raised = h.alarms[0]!;
      const firstOut = h.readings.find((r) => r.tempC !== null && r.tempC > 8)!;
      expect(raised).toMatchObject({
        alarmId: 'temperature_high:truck-7',
        state: 'raised',
        severity: 'warning',
      });
      // event time: the run (from its first out-of-range reading) became an excursion after alarmDelayMs
      expect(raised.ts).toBe(firstOut.ts + 5 * MIN);
      // and it was raised by a reading taken at or after that moment, not before
      const trigger = h.readings.find((r) => r.ts >= raised.ts)!;
      expect(trigger.tempC).toBeGreaterThan(8);
      expect(alarms.activeAlarms()).toEqual(['temperature_high:truck-7']);
    } finally {
      await bus.stop();
      await alarms.stop();
      await sim.close();
    }
  });
});
