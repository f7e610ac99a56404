import {
  analyzeSeries,
  type LocationExcursion,
  mergeExcursions,
  type Sample,
  type SensorExcursion,
  type TempLimits,
} from '@coldtrace/shared';
import { limitVersionsOf } from './location-evaluation.js';
import type { LocationsTable } from './rows.js';
import { type SpecVersion, specAt } from './spec-versions.js';

/**
 * Full evaluation of one location's series (per-sensor runs merged into location excursions, plus
 * gaps): the reference the windowed recomputation of `DomainEngine` must equal. Each reading is judged by
 * the limit version in force at its time (none given: the row's limits for all time).
 */
export function evaluateLocation(
  location: LocationsTable,
  series: ReadonlyArray<{ sensor_id: string; ts: number; temp_c: number | null }>,
  versions: readonly SpecVersion<TempLimits>[] = [],
): { excursions: LocationExcursion[]; gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }> } {
  const bySensor = new Map<string, Sample[]>();
  for (const r of series) {
    const list = bySensor.get(r.sensor_id) ?? [];
    list.push({ ts: r.ts, tempC: r.temp_c });
    bySensor.set(r.sensor_id, list);
  }
  const limits = specAt(limitVersionsOf(location, versions));
  const items: SensorExcursion[] = [];
  const gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }> = [];
  for (const [sensorId, samples] of bySensor) {
    const analysis = analyzeSeries(samples, limits);
    for (const run of analysis.excursions) items.push({ sensorId, run });
    for (const g of analysis.gaps) gaps.push({ sensor_id: sensorId, from_ts: g.fromTs, to_ts: g.toTs });
  }
  return { excursions: mergeExcursions(items), gaps };
}
