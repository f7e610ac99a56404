/**
 * The values and row both compact-readings migration tests (0043 SQLite, 0044 PostgreSQL) store: digests,
 * archives and EPCIS golden files depend on every value reading back bit for bit, so the tests compare the
 * doubles' bits.
 */
export const bits = (v: unknown) =>
  typeof v === 'number' ? Buffer.from(new Float64Array([v]).buffer).toString('hex') : v;
export const rowBits = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, bits(v)])));

/** Two-decimal values, values just past the 0.01 integer's range, and doubles no 0.01 integer holds. */
export const VALUES = [
  5,
  -18.25,
  0.1 + 0.2,
  4.125,
  327.67,
  327.68,
  -327.67,
  1000.5,
  1e-9,
  null,
  2.5,
  36.6,
  -0.01,
];

/** A reading written through the view, with ids no other row has. */
export const VIEW_ROW = {
  gateway_id: 'gw-new',
  seq: 7,
  sensor_id: 's-new',
  location_id: 'room-new',
  ts: 1_000,
  temp_c: 0.1 + 0.2,
  rh: 45.5,
  quality: 'ok',
  received_at: 2_000,
};
