import type { SimFault, SimSample } from '@coldtrace/firmware-sim';
import { seededRandom } from '@coldtrace/firmware-sim';
import type { Scenario, TemperatureProfile } from './scenario-schema.js';

interface Segment {
  fromMs: number;
  profile: TemperatureProfile;
}

/**
 * A location's temperature as a pure function of scenario time (ms from the scenario start): the
 * initial profile, then each timeline `temperature` event from its time on. Being a function of time
 * (not of when a request happens to arrive), the same scenario gives the same values on every run.
 */
export class LocationTemperature {
  private readonly segments: Segment[];

  constructor(
    initial: TemperatureProfile,
    changes: ReadonlyArray<{ atMs: number; profile: TemperatureProfile }>,
  ) {
    this.segments = [
      { fromMs: 0, profile: initial },
      ...[...changes].sort((a, b) => a.atMs - b.atMs).map((c) => ({ fromMs: c.atMs, profile: c.profile })),
    ];
  }

  /** Temperature (°C, without noise) at scenario time `tMs`. */
  at(tMs: number): number {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i]!.fromMs > tMs) i--;
    return this.valueOf(i, tMs);
  }

  noiseC(tMs: number): number {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i]!.fromMs > tMs) i--;
    return this.segments[i]!.profile.noiseC;
  }

  private valueOf(i: number, tMs: number): number {
    const seg = this.segments[i]!;
    const p = seg.profile;
    const u = Math.max(0, tMs - seg.fromMs);
    switch (p.kind) {
      case 'steady':
        return p.tempC;
      case 'door-open': {
        const phase = p.every ? u % p.every : u;
        if (phase < p.open) return p.baseC + (p.spikeC * phase) / p.open;
        if (phase < p.open + p.recovery) return p.baseC + p.spikeC * (1 - (phase - p.open) / p.recovery);
        return p.baseC;
      }
      case 'compressor-failure': {
        const v = p.baseC + (u / 60_000) * p.rateCPerMin;
        return p.ambientC >= p.baseC ? Math.min(p.ambientC, v) : Math.max(p.ambientC, v);
      }
      case 'defrost': {
        const phase = u % p.every;
        if (phase >= p.duration) return p.baseC;
        const half = p.duration / 2;
        const f = phase < half ? phase / half : (p.duration - phase) / half;
        return p.baseC + (p.peakC - p.baseC) * f;
      }
      case 'recover': {
        const from = i > 0 ? this.valueOf(i - 1, seg.fromMs) : p.toC;
        const step = (u / 60_000) * p.rateCPerMin;
        return from > p.toC ? Math.max(p.toC, from - step) : Math.min(p.toC, from + step);
      }
    }
  }
}

/** Deterministic noise in [-1, 1) for (seed, sensor, tick): the same on every run. */
function noise(seed: number, sensorIndex: number, tick: number): number {
  return seededRandom((seed * 7919 + sensorIndex * 104_729 + tick * 2_654_435_761) >>> 0)() * 2 - 1;
}

export interface SensorTimeline {
  sensorId: string;
  address: number;
  sample(tMs: number): SimSample;
}

/** Every sensor's sample as a function of scenario time: its location's temperature, offset, noise and faults. */
export function sensorTimelines(s: Scenario, tickMs: number): Map<string, SensorTimeline[]> {
  const temps = new Map(
    s.locations.map((l) => [
      l.id,
      new LocationTemperature(
        l.temperature,
        s.timeline.flatMap((e) =>
          'temperature' in e && e.temperature.location === l.id
            ? [{ atMs: e.at, profile: e.temperature.profile }]
            : [],
        ),
      ),
    ]),
  );
  const faults = s.timeline.flatMap((e) =>
    'sensorFault' in e
      ? [
          {
            sensor: e.sensorFault.sensor,
            fromMs: e.at,
            toMs: e.at + e.sensorFault.duration,
            fault: e.sensorFault.fault,
          },
        ]
      : [],
  );
  const byGateway = new Map<string, SensorTimeline[]>();
  let index = 0;
  for (const g of s.gateways) {
    byGateway.set(
      g.id,
      g.sensors.map((sensor, i) => {
        const temp = temps.get(sensor.location)!;
        const mine = faults.filter((f) => f.sensor === sensor.id);
        const sensorIndex = ++index;
        return {
          sensorId: sensor.id,
          address: sensor.address ?? i + 1,
          sample(tMs: number): SimSample {
            const f = mine.find((x) => tMs >= x.fromMs && tMs < x.toMs);
            if (f) return { kind: 'fault', fault: f.fault as SimFault, exceptionCode: 4, tempC: 5, rh: 45 };
            const amp = temp.noiseC(tMs);
            const n = amp > 0 ? noise(s.seed, sensorIndex, Math.floor(tMs / Math.max(1, tickMs))) * amp : 0;
            return {
              kind: 'value',
              tempC: Math.round((temp.at(tMs) + sensor.offsetC + n) * 10) / 10,
              rh: 45,
            };
          },
        };
      }),
    );
  }
  return byGateway;
}
