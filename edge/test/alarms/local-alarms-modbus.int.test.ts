import { startModbusSimulator } from '@coldtrace/firmware-sim';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { createLocalAlarmsModule } from '../../src/alarms/local-alarms-module.js';
import { createModbusBusModule } from '../../src/modbus/modbus-bus-module.js';
import { collectingContext } from '../modbus/harness.js';

const MIN = 60_000;

describe('local alarm from a compressor failure over a real pty, no network', () => {
  it('raises temperature_high after the configured delay on scenario time', async () => {
    // Scenario time is a manual clock moved one poll interval at a time once the previous poll's reading
    // is in: every reading is taken at an exact scenario time, however slow the machine.
    const T = Date.UTC(2026, 5, 1, 8);
    const clock = manualClock(T);
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
      for (let polls = 1; h.alarms.length === 0; polls++) {
        await until(() => h.readings.length === polls, `reading ${polls}`);
        if (h.alarms.length === 0) clock.advance(20_000);
      }
      const raised = h.alarms[0]!;
      const firstOut = h.readings.find((r) => r.tempC !== null && r.tempC > 8)!;
      expect(raised).toMatchObject({
        alarmId: 'temperature_high:truck-7',
        state: 'raised',
        severity: 'warning',
      });
      // event time: the run (from its first out-of-range reading) became an excursion after alarmDelayMs
      expect(raised.ts).toBe(firstOut.ts + 5 * MIN);
      // one reading per poll interval, and the alarm came with the reading taken at that moment, not before
      expect(h.readings.map((r) => r.ts)).toEqual(h.readings.map((_, i) => T + i * 20_000));
      expect(h.readings.at(-1)!.ts).toBe(raised.ts);
      expect(h.readings.at(-1)!.tempC).toBeGreaterThan(8);
      expect(alarms.activeAlarms()).toEqual(['temperature_high:truck-7']);
    } finally {
      await bus.stop();
      await alarms.stop();
      await sim.close();
    }
  });
});
