/**
 * A measured value as an integer of 0.01 units (0.01 °C, 0.01 %RH) when that reads back bit-identical,
 * as the compact readings store it (migration 0043, docs/performance.md "Readings layout"): `c / 100`
 * in IEEE double arithmetic (SQLite's `c / 100.0`) is `v` itself. Not -0, which would read back as 0, and
 * within ±327.67 so the integer fits two bytes. Any other value is stored as it is (`centiFallback`).
 */
export function centi(v: number | null | undefined): number | null {
  if (v == null || Object.is(v, -0)) return null;
  const c = Math.round(v * 100);
  return c / 100 === v && Math.abs(c) <= 32767 ? c : null;
}

/** The value itself when `centi` cannot hold it exactly, else null (the fallback column). */
export function centiFallback(v: number | null | undefined): number | null {
  return v != null && centi(v) === null ? v : null;
}
