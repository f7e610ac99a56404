import { holdWeights, normalizeSamples, type Sample } from './sample.js';

/**
 * Total milliseconds strictly above `thresholdC` (zero-order hold: each known sample holds until the next
 * sample, the last one until `endTs`, or 0 without it; unknown samples count 0), for WHO PQS-style
 * cumulative rules (e.g. "no more than 10 h above +8 °C") and product stability budgets.
 */
export function cumulativeAbove(samples: readonly Sample[], thresholdC: number, endTs?: number): number {
  return holdSum(
    normalizeSamples(samples, Number.NEGATIVE_INFINITY, thresholdC),
    endTs,
    (t) => t > thresholdC,
  );
}

/** Total milliseconds strictly outside `[minC, maxC]`, with the hold rule of `cumulativeAbove`. */
export function timeOutside(samples: readonly Sample[], minC: number, maxC: number, endTs?: number): number {
  return holdSum(normalizeSamples(samples, minC, maxC), endTs, (t) => t < minC || t > maxC);
}

function holdSum(
  sorted: readonly Sample[],
  endTs: number | undefined,
  counts: (t: number) => boolean,
): number {
  const weights = holdWeights(sorted, endTs);
  let total = 0;
  sorted.forEach((s, i) => {
    if (s.tempC !== null && counts(s.tempC)) total += weights[i]!;
  });
  return total;
}
