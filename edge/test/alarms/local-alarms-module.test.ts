import { alarmSchema, type Reading } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLocalAlarmsModule } from '../../src/alarms/local-alarms-module.js';
import type { NewReading } from '../../src/module.js';
import { collectingContext } from '../modbus/harness.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const limits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 15 * MIN };

async function setup(extra: { sensorFaultAfter?: number } = {}) {
  const h = collectingContext();
  const mod = createLocalAlarmsModule({ locations: [{ id: 'cold-1', limits }], ...extra });
  await mod.start(h.ctx);
  const feed = (
    sensorId: string,
    minute: number,
    tempC: number | null,
    quality: Reading['quality'] = 'ok',
  ) => {
    const r: NewReading = { sensorId, locationId: 'cold-1', ts: T0 + minute * MIN, tempC, quality };
    h.ctx.records.readings([r]);
  };
  return { ...h, mod, feed };
}

describe('local alarms', () => {
  it('raises temperature_high once the run lasts the alarm delay, on event time, and clears on the first in-range reading', async () => {
    const { alarms, mod, feed } = await setup();
    feed('s1', 0, 5);
    feed('s1', 1, 9); // run starts
    feed('s1', 6, 9.5);
    expect(alarms).toHaveLength(0);
    feed('s1', 11, 10); // 10 minutes out: excursion at minute 11
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      alarmId: 'temperature_high:cold-1',
      kind: 'temperature_high',
      state: 'raised',
      severity: 'warning',
      ts: T0 + 11 * MIN,
      locationId: 'cold-1',
      value: 10,
    });
    expect(mod.activeAlarms()).toEqual(['temperature_high:cold-1']);
    feed('s1', 12, 11);
    expect(alarms).toHaveLength(1);
    feed('s1', 13, 7.9);
    expect(alarms[1]).toMatchObject({
      alarmId: 'temperature_high:cold-1',
      state: 'cleared',
      ts: T0 + 13 * MIN,
    });
    expect(mod.activeAlarms()).toEqual([]);
    for (const a of alarms) expect(alarmSchema.safeParse(a).success).toBe(true);
  });

  it('raises at once as critical past the critical margin, and escalates a warning to critical', async () => {
    const a = await setup();
    a.feed('s1', 0, 1);
    a.feed('s1', 1, -4); // below 2 - 5 = -3
    expect(a.alarms[0]).toMatchObject({
      alarmId: 'temperature_low:cold-1',
      severity: 'critical',
      ts: T0 + MIN,
    });
    const b = await setup();
    b.feed('s1', 0, 9);
    b.feed('s1', 10, 9);
    expect(b.alarms.map((x) => x.severity)).toEqual(['warning']);
    b.feed('s1', 11, 13.5);
    expect(b.alarms.map((x) => [x.state, x.severity])).toEqual([
      ['raised', 'warning'],
      ['raised', 'critical'],
    ]);
  });

  it('keeps a location alarm until every sensor of the location is back in range', async () => {
    const { alarms, mod, feed } = await setup();
    feed('a', 0, 9);
    feed('b', 0, 9);
    feed('a', 10, 9);
    feed('b', 10, 9);
    expect(alarms.filter((x) => x.state === 'raised')).toHaveLength(1);
    feed('a', 11, 5);
    expect(mod.activeAlarms()).toEqual(['temperature_high:cold-1']);
    feed('b', 11, 5);
    expect(alarms.at(-1)).toMatchObject({ state: 'cleared' });
  });

  it('keeps a run open through error readings (unknown counts as out)', async () => {
    const { alarms, feed } = await setup({ sensorFaultAfter: 100 });
    feed('s1', 0, 9);
    feed('s1', 5, null, 'timeout');
    feed('s1', 10, null, 'timeout');
    expect(alarms.map((x) => x.alarmId)).toEqual(['temperature_high:cold-1']);
  });

  it('raises sensor_fault after N consecutive error readings and clears on recovery', async () => {
    const { alarms, mod, feed } = await setup({ sensorFaultAfter: 3 });
    feed('s1', 0, 5);
    feed('s1', 1, null, 'timeout');
    feed('s1', 2, null, 'crc_error');
    expect(alarms).toHaveLength(0);
    feed('s1', 3, null, 'disconnected');
    expect(alarms[0]).toMatchObject({
      alarmId: 'sensor_fault:s1',
      kind: 'sensor_fault',
      state: 'raised',
      sensorId: 's1',
    });
    feed('s1', 4, null, 'timeout');
    expect(alarms).toHaveLength(1);
    expect(mod.activeAlarms()).toEqual(['sensor_fault:s1']);
    feed('s1', 5, 5);
    expect(alarms[1]).toMatchObject({ alarmId: 'sensor_fault:s1', state: 'cleared', ts: T0 + 5 * MIN });
  });

  it('ignores readings of locations it has no limits for, except for sensor faults', async () => {
    const h = collectingContext();
    const mod = createLocalAlarmsModule({ locations: [], sensorFaultAfter: 1 });
    await mod.start(h.ctx);
    h.ctx.records.readings([
      { sensorId: 'x', locationId: 'elsewhere', ts: T0, tempC: null, quality: 'timeout' },
    ]);
    expect(h.alarms.map((a) => [a.kind, a.state])).toEqual([['sensor_fault', 'raised']]);
    // 80 °C where no limits are set: it ends the fault (so it was evaluated) and raises nothing else.
    h.ctx.records.readings([
      { sensorId: 'x', locationId: 'elsewhere', ts: T0 + 1, tempC: 80, quality: 'ok' },
    ]);
    expect(h.alarms.map((a) => [a.kind, a.state])).toEqual([
      ['sensor_fault', 'raised'],
      ['sensor_fault', 'cleared'],
    ]);
  });

  it('rejects a bad config with a clear error', () => {
    expect(() =>
      createLocalAlarmsModule({ locations: [{ id: 'x', limits: { ...limits, minC: 9 } }] }),
    ).toThrow(/minC must be below maxC/);
  });

  it('property: raised and cleared alternate per alarm, and the state matches the last reading when it is in range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: -10, max: 20 }), { nil: null }), { maxLength: 80 }),
        async (temps) => {
          const { alarms, mod, feed } = await setup();
          temps.forEach((t, i) => {
            feed('s1', i * 3, t, t === null ? 'timeout' : 'ok');
          });
          const state = new Map<string, string>();
          for (const a of alarms) {
            const prev = state.get(a.alarmId) ?? 'cleared';
            if (a.state === 'cleared') expect(prev).toBe('raised');
            state.set(a.alarmId, a.state);
          }
          const last = temps.at(-1);
          if (last !== undefined && last !== null && last >= 2 && last <= 8) {
            expect(mod.activeAlarms().filter((x) => x.startsWith('temperature'))).toEqual([]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
