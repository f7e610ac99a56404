import { classify, type ReadingQuality, type TempLimits } from '@coldtrace/shared';
import type { NewReading } from './module.js';

/** What the rules need of a reading. */
export type ReadingFacts = Pick<NewReading, 'tempC' | 'quality'>;
type Limits = Pick<TempLimits, 'minC' | 'maxC'> | undefined;

/**
 * Outside its location's limits (both inclusive, docs/architecture.md "Excursion"), or without a
 * temperature. A location the gateway has no limits for has no range to leave.
 */
export function outOfRange(r: ReadingFacts, limits: Limits): boolean {
  if (r.tempC === null) return true;
  return limits ? classify(r.tempC, limits) !== 'in' : false;
}

/** Never thinned from a full buffer: an error reading or one out of range may matter for an excursion. */
export function keepFromThinning(r: ReadingFacts, limits: Limits): boolean {
  return r.quality !== 'ok' || outOfRange(r, limits);
}

/**
 * Published at once instead of with the next batch (docs/architecture.md "Publisher"): an out-of-range
 * reading, and a change of the sensor's reading quality (its first error, another kind of fault, its
 * recovery). A sensor that keeps failing sends its error readings with the normal batches. `previous`
 * is the quality of the sensor's last reading, undefined before its first.
 */
export function isUrgent(previous: ReadingQuality | undefined, r: ReadingFacts, limits: Limits): boolean {
  if (r.quality !== 'ok') return previous !== r.quality;
  return (previous !== undefined && previous !== 'ok') || outOfRange(r, limits);
}
