/**
 * Per-sensor reading rollups (docs/architecture.md "Reading rollups"): the minimum, maximum, sum and count
 * of a sensor's temperatures per time bucket, maintained by ingest in the transaction that stores the
 * readings, so a long-range chart reads one row per bucket instead of every reading.
 */

/** The bucket widths kept, in ms. */
export const ROLLUP_RESOLUTIONS = { '5m': 300_000, '1h': 3_600_000 } as const;
export type RollupResolution = keyof typeof ROLLUP_RESOLUTIONS;
export const ROLLUP_RESOLUTION_NAMES = Object.keys(ROLLUP_RESOLUTIONS) as [
  RollupResolution,
  ...RollupResolution[],
];

/** The temperatures of a bucket. Readings without a temperature (quality not `ok`) are not in it. */
export interface RollupAggregate {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** One stored rollup (`reading_rollups`, migration 0031): a bucket of one sensor at one location and gateway. */
export interface ReadingRollupRow {
  sensor_id: string;
  resolution: RollupResolution;
  bucket_start: number;
  location_id: string;
  gateway_id: string;
  min_c: number;
  max_c: number;
  sum_c: number;
  count: number;
}

/**
 * Start of the bucket of width `width` holding `ts`: floored, also before 1970, the same value as the SQL
 * `ts - ((ts % width) + width) % width` of the migration's backfill.
 */
export function bucketStart(ts: number, width: number): number {
  return ts - (((ts % width) + width) % width);
}

/** The aggregate of two disjoint sets of readings (the upsert adds a batch's to the stored one). */
export function mergeAggregates(a: RollupAggregate, b: RollupAggregate): RollupAggregate {
  return {
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    count: a.count + b.count,
  };
}

export const meanOf = (a: { sum: number; count: number }): number => a.sum / a.count;

/** What a rollup needs of a stored reading. */
export interface RollupReading {
  sensorId: string;
  locationId: string;
  ts: number;
  tempC: number | null;
}

/**
 * The rollup rows of readings one gateway stored (every resolution), one per key, in key order: the order
 * the upsert takes the rows' locks in, so two transactions touching the same buckets do not deadlock.
 * The caller passes exactly the readings newly stored (a duplicate is not one), so a redelivery adds nothing.
 */
export function rollupRows(gatewayId: string, readings: readonly RollupReading[]): ReadingRollupRow[] {
  const rows = new Map<string, ReadingRollupRow>();
  // A batch holds runs of one sensor's readings in one bucket: the previous reading's row, per resolution,
  // is checked first, so most readings need no string key (ingest's CPU per reading, docs/performance.md
  // "Scale-out ingest").
  const previous: Array<ReadingRollupRow | undefined> = ROLLUP_RESOLUTION_NAMES.map(() => undefined);
  for (const r of readings) {
    if (r.tempC === null) continue;
    for (let i = 0; i < ROLLUP_RESOLUTION_NAMES.length; i++) {
      const resolution = ROLLUP_RESOLUTION_NAMES[i]!;
      const start = bucketStart(r.ts, ROLLUP_RESOLUTIONS[resolution]);
      let row = previous[i];
      if (
        row === undefined ||
        row.bucket_start !== start ||
        row.sensor_id !== r.sensorId ||
        row.location_id !== r.locationId
      ) {
        const key = `${r.sensorId}\u0000${resolution}\u0000${start}\u0000${r.locationId}`;
        row = rows.get(key);
        if (!row) {
          row = {
            sensor_id: r.sensorId,
            resolution,
            bucket_start: start,
            location_id: r.locationId,
            gateway_id: gatewayId,
            min_c: r.tempC,
            max_c: r.tempC,
            sum_c: r.tempC,
            count: 1,
          };
          rows.set(key, row);
          previous[i] = row;
          continue;
        }
        previous[i] = row;
      }
      if (r.tempC < row.min_c) row.min_c = r.tempC;
      if (r.tempC > row.max_c) row.max_c = r.tempC;
      row.sum_c += r.tempC;
      row.count++;
    }
  }
  return [...rows.values()].sort(compareRollupKeys);
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** The table's key order: sensor, resolution, bucket start, location, gateway. */
export function compareRollupKeys(a: ReadingRollupRow, b: ReadingRollupRow): number {
  return (
    cmp(a.sensor_id, b.sensor_id) ||
    cmp(a.resolution, b.resolution) ||
    cmp(a.bucket_start, b.bucket_start) ||
    cmp(a.location_id, b.location_id) ||
    cmp(a.gateway_id, b.gateway_id)
  );
}
