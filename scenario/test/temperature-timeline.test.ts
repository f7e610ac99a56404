import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/load-scenario.js';
import { LocationTemperature, sensorTimelines } from '../src/temperature-timeline.js';
import { BASE } from './base-scenario.js';

describe('temperature timelines', () => {
  it('follow the profiles as functions of scenario time', () => {
    const t = new LocationTemperature({ kind: 'steady', tempC: 5, noiseC: 0 }, [
      {
        atMs: 60 * 60_000,
        profile: { kind: 'compressor-failure', baseC: 5, rateCPerMin: 0.1, ambientC: 20, noiseC: 0 },
      },
      { atMs: 120 * 60_000, profile: { kind: 'recover', toC: 5, rateCPerMin: 0.5, noiseC: 0 } },
    ]);
    expect(t.at(30 * 60_000)).toBe(5);
    expect(t.at(90 * 60_000)).toBeCloseTo(8, 9);
    expect(t.at(120 * 60_000)).toBeCloseTo(11, 9); // recovery starts where the failure left it
    expect(t.at(132 * 60_000)).toBeCloseTo(5, 9);
    expect(t.at(200 * 60_000)).toBe(5);
  });

  it('are continuous into a recovery and never overshoot its target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 600 }),
        (failMin, rate, u) => {
          const t = new LocationTemperature(
            { kind: 'compressor-failure', baseC: 4, rateCPerMin: rate, ambientC: 25, noiseC: 0 },
            [{ atMs: failMin * 60_000, profile: { kind: 'recover', toC: 4, rateCPerMin: 1, noiseC: 0 } }],
          );
          const at = t.at(failMin * 60_000);
          const before = 4 + Math.min(21, failMin * rate);
          return Math.abs(at - before) < 1e-9 && t.at(failMin * 60_000 + u * 60_000) >= 4 - 1e-9;
        },
      ),
    );
  });

  it('give the same samples for the same time, and faults inside their window only', () => {
    const { scenario } = parseScenario(
      `${BASE.replace('temperature: { kind: steady, tempC: 5 }', 'temperature: { kind: steady, tempC: 5, noiseC: 0.5 }')}  - at: 2h\n    sensorFault: { sensor: s-1, fault: no_answer, duration: 30m }\n`,
    );
    const [a] = sensorTimelines(scenario, 60_000).get('gw-1')!;
    const [b] = sensorTimelines(scenario, 60_000).get('gw-1')!;
    for (const ms of [0, 60_000, 3_600_000, 7_000_000]) expect(a!.sample(ms)).toEqual(b!.sample(ms));
    expect(a!.sample(2 * 3_600_000).kind).toBe('fault');
    expect(a!.sample(2.5 * 3_600_000).kind).toBe('value');
  });
});
