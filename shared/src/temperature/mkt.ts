import { holdWeights, normalizeSamples, type Sample } from './sample.js';

/** USP <1079>: ΔH/R in kelvin (ΔH = 83.144 kJ/mol, R = 8.3144 J/(mol·K)). */
export const MKT_DELTA_H_OVER_R = 10000;
const KELVIN_OFFSET = 273.15;

/**
 * The partial sums of the MKT formula, so the MKT of several series (sensors of one room) can be
 * combined without their samples: `weightMs` = Σ tᵢ, `weightedExp` = Σ tᵢ·exp(−(ΔH/R)/Tᵢ), and for the
 * equal-weight fallback (all tᵢ zero) `count` = n and `sumExp` = Σ exp(−(ΔH/R)/Tᵢ).
 */
export interface MktTerms {
  weightMs: number;
  weightedExp: number;
  count: number;
  sumExp: number;
}

export const EMPTY_MKT_TERMS: Readonly<MktTerms> = Object.freeze({
  weightMs: 0,
  weightedExp: 0,
  count: 0,
  sumExp: 0,
});

/**
 * MKT terms of a series: each known sample weighted by the time it represents, until the next sample
 * (known or not), the last one until `endTs`. Unknown samples contribute nothing.
 */
export function mktTerms(samples: readonly Sample[], endTs?: number): MktTerms {
  const sorted = normalizeSamples(samples);
  return termsOfSorted(sorted, holdWeights(sorted, endTs));
}

/** @internal terms of an already sorted, de-duplicated series with given weights. */
export function termsOfSorted(sorted: readonly Sample[], weights: readonly number[]): MktTerms {
  const terms = { weightMs: 0, weightedExp: 0, count: 0, sumExp: 0 };
  sorted.forEach((s, i) => {
    if (s.tempC === null) return;
    const e = Math.exp(-MKT_DELTA_H_OVER_R / (s.tempC + KELVIN_OFFSET));
    const w = weights[i] ?? 0;
    terms.weightMs += w;
    terms.weightedExp += w * e;
    terms.count += 1;
    terms.sumExp += e;
  });
  return terms;
}

/** Adds terms (in the order given; sort inputs first where the result must not depend on order). */
export function addMktTerms(...parts: readonly MktTerms[]): MktTerms {
  const sum = { ...EMPTY_MKT_TERMS };
  for (const p of parts) {
    sum.weightMs += p.weightMs;
    sum.weightedExp += p.weightedExp;
    sum.count += p.count;
    sum.sumExp += p.sumExp;
  }
  return sum;
}

/**
 * USP <1079>: `T_K = (ΔH/R) / −ln( Σ tᵢ·exp(−(ΔH/R)/Tᵢ) / Σ tᵢ )`, returned in °C; equal weights when
 * every tᵢ is zero; null without known samples.
 */
export function mktFromTerms(t: MktTerms): number | null {
  if (t.count === 0) return null;
  const mean = t.weightMs > 0 ? t.weightedExp / t.weightMs : t.sumExp / t.count;
  return MKT_DELTA_H_OVER_R / -Math.log(mean) - KELVIN_OFFSET;
}

/**
 * Mean kinetic temperature (USP <1079>, ΔH/R = 10000 K, Tᵢ = °C + 273.15) of a series in °C, each known
 * sample weighted by the time it represents (until the next sample; the last one until `endTs`, or 0
 * without it); if all weights are zero, equal weights. Null when no sample is known. Input order and
 * duplicate timestamps do not matter (see `normalizeSamples`).
 */
export function mkt(samples: readonly Sample[], endTs?: number): number | null {
  return mktFromTerms(mktTerms(samples, endTs));
}
