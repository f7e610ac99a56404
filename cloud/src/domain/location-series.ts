import {
  type ExposureCondition,
  exposureIntervals,
  type Interval,
  type Sample,
  unionIntervals,
} from '@coldtrace/shared';
/** The location's exposure intervals for a condition: the union over its sensors (see `exposureIntervals`). */
export function locationExposure(series: ReadonlyMap<string, Sample[]>, c: ExposureCondition): Interval[] {
  return unionIntervals([...series.values()].map((s) => exposureIntervals(s, c)));
}
