import { excessC, isCritical, type TempLimits } from './limits.js';
import { type MktTerms, mktFromTerms, termsOfSorted } from './mkt.js';
import { holdWeights, normalizeSamples, type Sample } from './sample.js';

/**
 * The limits in force at an event time: effective-dated specifications (a location's limits change at a
 * data time, and each reading is judged by the version in force at its own time).
 */
export type LimitsAt = (ts: number) => TempLimits;

/** One out-of-range run of one sensor (docs/architecture.md "Excursion"). */
export interface Run {
  /** ts of the first out-of-range reading. */
  startTs: number;
  /** ts of the first in-range reading after it; null = ongoing. */
  endTs: number | null;
  /** ts of the last sample belonging to the run (the last out-of-range or unknown one). */
  lastTs: number;
  /** `(endTs ?? lastTs) − startTs`. */
  durationMs: number;
  /** Lowest and highest known value in the run. */
  minC: number;
  maxC: number;
  /** The known value furthest outside the range (the earliest on a tie). */
  peakC: number;
  /** How far `peakC` lies beyond the limit it violates, °C (lets runs of one location be compared). */
  peakExcessC: number;
  /** Some reading passed the critical margin (strictly). */
  critical: boolean;
  /** `durationMs ≥ alarmDelayMs`, or critical. */
  isExcursion: boolean;
  /** Event time it became an excursion: min(startTs + alarmDelayMs if reached, ts of the first critical reading). */
  excursionAt: number | null;
  /**
   * Σ excess·Δt/60000 over the run's known samples; excess = distance beyond the violated limit; each
   * known sample holds until the next sample or the run's end (`endTs ?? lastTs`); unknown samples add 0.
   */
  degreeMinutes: number;
  /** Time-weighted MKT (°C) of the run's known samples with the same hold weights; null if none. */
  mktC: number | null;
  /** The MKT partial sums behind `mktC`, to merge runs of several sensors (`mergeExcursions`). */
  mktTerms: MktTerms;
  /** Samples belonging to the run (out-of-range and unknown ones; not the closing in-range one). */
  samples: number;
}

/** A stretch while in range with no known reading for longer than `maxGapMs`, or with unknown readings. */
export interface MonitoringGap {
  fromTs: number;
  toTs: number;
  durationMs: number;
}

export interface SeriesAnalysis {
  /** Every out-of-range run, by startTs. */
  runs: Run[];
  /** The runs that are excursions. */
  excursions: Run[];
  /** Monitoring gaps while in range, by fromTs. */
  gaps: MonitoringGap[];
}

/**
 * Runs, excursions and monitoring gaps of one sensor's series (docs/architecture.md "Excursion"):
 * - Input may be unsorted and hold duplicate timestamps: it is sorted by ts and one sample is kept per
 *   ts (the known value furthest outside the range, see `normalizeSamples`), so the result depends
 *   only on the set of samples.
 * - A run starts at its first out-of-range reading and ends at the first in-range reading after it.
 *   Unknown (`null`) samples inside a run count as out and keep it open; so does a gap longer than
 *   `maxGapMs` inside a run.
 * - While in range, a gap longer than `maxGapMs` between consecutive samples, or unknown samples, make a
 *   monitoring gap from the last known in-range sample (or the first unknown one when there is none) to
 *   the next known sample (or the last unknown one when the series ends): reported, never an excursion
 *   by itself. An unknown sample while in range does not start a run.
 * - A run is an excursion when `durationMs ≥ alarmDelayMs` or a reading passes the critical margin.
 * - `limits` may vary with time (`LimitsAt`, effective-dated specifications): each reading is in or out,
 *   critical and in excess by the limits in force at its own time; a run's alarm delay is that in force
 *   at its start, and a run continues across a change of limits (never split there, which would restart
 *   the delay and could hide an excursion); a silence is measured against the maximum gap in force where
 *   it starts. Constant limits give exactly the result of a single set.
 */
export function analyzeSeries(samples: readonly Sample[], limits: TempLimits | LimitsAt): SeriesAnalysis {
  const at: LimitsAt = typeof limits === 'function' ? limits : () => limits;
  const sorted =
    typeof limits === 'function'
      ? normalizeSamplesAt(samples, at)
      : normalizeSamples(samples, limits.minC, limits.maxC);
  const runs: Run[] = [];
  const gaps: MonitoringGap[] = [];
  let runStart = -1; // index into sorted of the current run's first sample, -1 when in range
  let lastInRangeTs: number | null = null;
  let gapFromTs: number | null = null; // set while unknown samples are open in range

  const pushGap = (fromTs: number, toTs: number) => gaps.push({ fromTs, toTs, durationMs: toTs - fromTs });

  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    const out = s.tempC !== null && excessC(s.tempC, at(s.ts)) > 0;
    if (runStart >= 0) {
      // Inside a run: unknown and out keep it open, whatever the gap; the first in-range reading ends it.
      if (s.tempC !== null && !out) {
        runs.push(buildRun(sorted, runStart, i, at));
        runStart = -1;
        lastInRangeTs = s.ts;
      }
      continue;
    }
    if (s.tempC === null) {
      gapFromTs ??= lastInRangeTs ?? s.ts;
      continue;
    }
    if (gapFromTs !== null) {
      pushGap(gapFromTs, s.ts);
      gapFromTs = null;
    } else if (lastInRangeTs !== null && s.ts - lastInRangeTs > at(lastInRangeTs).maxGapMs) {
      pushGap(lastInRangeTs, s.ts);
    }
    if (out) runStart = i;
    else lastInRangeTs = s.ts;
  }
  if (runStart >= 0) runs.push(buildRun(sorted, runStart, sorted.length, at));
  if (gapFromTs !== null) pushGap(gapFromTs, sorted[sorted.length - 1]!.ts);
  return { runs, excursions: runs.filter((r) => r.isExcursion), gaps };
}

/** The run of `sorted[from..to)`; `sorted[to]`, when present, is the in-range reading that ends it. */
function buildRun(sorted: readonly Sample[], from: number, to: number, at: LimitsAt): Run {
  const members = sorted.slice(from, to);
  const first = members[0]!;
  const startTs = first.ts;
  const lastTs = members[members.length - 1]!.ts;
  const endTs = to < sorted.length ? sorted[to]!.ts : null;
  const closeTs = endTs ?? lastTs;
  const durationMs = closeTs - startTs;
  const weights = holdWeights(members, closeTs);

  let minC = Number.POSITIVE_INFINITY;
  let maxC = Number.NEGATIVE_INFINITY;
  let peakC = first.tempC!;
  let peakExcessC = -1;
  let firstCriticalTs: number | null = null;
  let degreeMinutes = 0;
  members.forEach((s, k) => {
    if (s.tempC === null) return;
    const t = s.tempC;
    minC = Math.min(minC, t);
    maxC = Math.max(maxC, t);
    const limits = at(s.ts);
    const ex = excessC(t, limits);
    if (ex > peakExcessC) {
      peakExcessC = ex;
      peakC = t;
    }
    if (firstCriticalTs === null && isCritical(t, limits)) firstCriticalTs = s.ts;
    degreeMinutes += (ex * weights[k]!) / 60_000;
  });

  const { alarmDelayMs } = at(startTs);
  const delayReached = durationMs >= alarmDelayMs;
  const candidates: number[] = [];
  if (delayReached) candidates.push(startTs + alarmDelayMs);
  if (firstCriticalTs !== null) candidates.push(firstCriticalTs);
  const terms = termsOfSorted(members, weights);
  return {
    startTs,
    endTs,
    lastTs,
    durationMs,
    minC,
    maxC,
    peakC,
    peakExcessC,
    critical: firstCriticalTs !== null,
    isExcursion: candidates.length > 0,
    excursionAt: candidates.length > 0 ? Math.min(...candidates) : null,
    degreeMinutes,
    mktC: mktFromTerms(terms),
    mktTerms: terms,
    samples: members.length,
  };
}

/** `normalizeSamples` with the range in force at each instant (duplicates share an instant, so a version). */
function normalizeSamplesAt(samples: readonly Sample[], at: LimitsAt): Sample[] {
  const byTs = new Map<number, Sample[]>();
  for (const s of samples) {
    const list = byTs.get(s.ts);
    if (list) list.push(s);
    else byTs.set(s.ts, [s]);
  }
  const out: Sample[] = [];
  for (const [ts, group] of byTs) {
    const l = Number.isFinite(ts) ? at(ts) : undefined;
    out.push(...normalizeSamples(group, l?.minC, l?.maxC));
  }
  return out.sort((a, b) => a.ts - b.ts);
}
