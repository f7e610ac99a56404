import { z } from 'zod';

/** Faults a simulated sensor can inject instead of an answer. */
export const SIM_FAULTS = ['no_answer', 'corrupt_crc', 'exception', 'sentinel', 'out_of_range'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

const noise = z.number().min(0).default(0);
const rh = z.number().min(0).max(100).default(45);

/**
 * Temperature profiles as functions of scenario time (ms since the simulator started). All
 * temperatures in °C, durations in ms, rates in °C per minute.
 */
export const simProfileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('steady'), tempC: z.number(), noiseC: noise, rh }).strict(),
  z
    .object({
      kind: z.literal('door-open'),
      baseC: z.number(),
      /** Temperature rise while the door is open. */
      spikeC: z.number(),
      periodMs: z.number().int().positive(),
      openMs: z.number().int().positive(),
      noiseC: noise,
      rh,
    })
    .strict(),
  z
    .object({
      kind: z.literal('compressor-failure'),
      baseC: z.number(),
      /** When the compressor stops, from simulator start. */
      failAtMs: z.number().int().min(0).default(0),
      rateCPerMin: z.number().positive(),
      /** Ambient the ramp levels off at. */
      ambientC: z.number(),
      noiseC: noise,
      rh,
    })
    .strict(),
  z
    .object({
      kind: z.literal('defrost'),
      baseC: z.number(),
      peakC: z.number(),
      periodMs: z.number().int().positive(),
      defrostMs: z.number().int().positive(),
      noiseC: noise,
      rh,
    })
    .strict(),
  z
    .object({
      kind: z.literal('sensor-fault'),
      fault: z.enum(SIM_FAULTS),
      /** Modbus exception code for `exception` (Modbus Application Protocol V1.1b3 §7), default 4. */
      exceptionCode: z.number().int().min(1).max(255).default(4),
      /** Temperature reported around the fault where one is needed (`corrupt_crc`). */
      tempC: z.number().default(5),
      rh,
    })
    .strict(),
  z.object({ kind: z.literal('no-answer') }).strict(),
]);
export type SimProfile = z.input<typeof simProfileSchema>;
export type ParsedSimProfile = z.infer<typeof simProfileSchema>;

export type SimSample =
  | { kind: 'value'; tempC: number; rh: number }
  | { kind: 'fault'; fault: SimFault; exceptionCode: number; tempC: number; rh: number };

/** The sensor's state at scenario time `tMs`; `rand` in [0, 1) supplies the noise. */
export function sampleProfile(p: ParsedSimProfile, tMs: number, rand: () => number): SimSample {
  const n = (amp: number) => (amp > 0 ? (rand() * 2 - 1) * amp : 0);
  switch (p.kind) {
    case 'steady':
      return { kind: 'value', tempC: p.tempC + n(p.noiseC), rh: p.rh };
    case 'door-open': {
      const phase = tMs % p.periodMs;
      // Door open: rises linearly toward the spike, then decays; outside the opening: base.
      const inDoor = phase < p.openMs;
      const rise = inDoor ? (p.spikeC * phase) / p.openMs : 0;
      return { kind: 'value', tempC: p.baseC + rise + n(p.noiseC), rh: p.rh };
    }
    case 'compressor-failure': {
      const minutes = Math.max(0, tMs - p.failAtMs) / 60_000;
      const t = Math.min(p.ambientC, p.baseC + minutes * p.rateCPerMin);
      return { kind: 'value', tempC: t + n(p.noiseC), rh: p.rh };
    }
    case 'defrost': {
      const phase = tMs % p.periodMs;
      if (phase >= p.defrostMs) return { kind: 'value', tempC: p.baseC + n(p.noiseC), rh: p.rh };
      // Triangle: up to the peak half-way through the defrost, back down by its end.
      const half = p.defrostMs / 2;
      const f = phase < half ? phase / half : (p.defrostMs - phase) / half;
      return { kind: 'value', tempC: p.baseC + (p.peakC - p.baseC) * f + n(p.noiseC), rh: p.rh };
    }
    case 'sensor-fault':
      return { kind: 'fault', fault: p.fault, exceptionCode: p.exceptionCode, tempC: p.tempC, rh: p.rh };
    case 'no-answer':
      return { kind: 'fault', fault: 'no_answer', exceptionCode: 4, tempC: 0, rh: 0 };
  }
}
