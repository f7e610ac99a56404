import type { ReadingRollupRow } from '../../domain/reading-rollups.js';

/**
 * The upserts that add a batch's rollups to `reading_rollups` (0031): a new key inserted, a stored one
 * merged as `mergeAggregates` does (domain/reading-rollups.ts). The same decision on both stores.
 */
const COLUMNS = 'sensor_id, resolution, bucket_start, location_id, gateway_id, min_c, max_c, sum_c, count';
const KEY = 'sensor_id, resolution, bucket_start, location_id, gateway_id';

/** SQLite, one row: `min`/`max` of two arguments are scalar functions there. */
export const SQLITE_ROLLUP_UPSERT =
  `INSERT INTO reading_rollups (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
  `ON CONFLICT (${KEY}) DO UPDATE SET min_c = min(min_c, excluded.min_c), ` +
  'max_c = max(max_c, excluded.max_c), sum_c = sum_c + excluded.sum_c, count = count + excluded.count';

/**
 * PostgreSQL, the whole batch in one statement: one array per column (`unnest`, as pg-unnest-insert.ts),
 * so the statement has 9 parameters whatever the row count. The rows have distinct keys (one
 * `ON CONFLICT DO UPDATE` may touch a row once) and come in key order, the order their row locks are taken.
 */
export const PG_ROLLUP_UPSERT =
  `insert into reading_rollups (${COLUMNS}) ` +
  'select * from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], ' +
  '$6::double precision[], $7::double precision[], $8::double precision[], $9::integer[]) ' +
  `on conflict (${KEY}) do update set min_c = least(reading_rollups.min_c, excluded.min_c), ` +
  'max_c = greatest(reading_rollups.max_c, excluded.max_c), ' +
  'sum_c = reading_rollups.sum_c + excluded.sum_c, count = reading_rollups.count + excluded.count';

/** One row's values in `COLUMNS` order. */
export const rollupValues = (r: ReadingRollupRow) =>
  [
    r.sensor_id,
    r.resolution,
    r.bucket_start,
    r.location_id,
    r.gateway_id,
    r.min_c,
    r.max_c,
    r.sum_c,
    r.count,
  ] as const;

/** The rows as one array per column, for `PG_ROLLUP_UPSERT`. */
export function rollupArrays(rows: readonly ReadingRollupRow[]): unknown[][] {
  const arrays: unknown[][] = Array.from({ length: 9 }, () => new Array(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const v = rollupValues(rows[i]!);
    for (let c = 0; c < 9; c++) arrays[c]![i] = v[c];
  }
  return arrays;
}
