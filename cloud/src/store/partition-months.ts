/**
 * A calendar month (UTC) of readings as PostgreSQL stores it: the partition `readings_yYYYYmMM` holding
 * `ts` in [from, to) (docs/operations.md "Partitions of readings").
 */
export interface PartitionMonth {
  /** Months since year 0: `year * 12 + monthIndex` (0-based month). */
  index: number;
  name: string;
  from: number;
  to: number;
}

/** The month numbered `index` (see `PartitionMonth.index`). */
export function partitionMonth(index: number): PartitionMonth {
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  return {
    index,
    name: `readings_y${String(year).padStart(4, '0')}m${String(month + 1).padStart(2, '0')}`,
    from: Date.UTC(year, month, 1),
    to: Date.UTC(year, month + 1, 1),
  };
}

/** The month holding epoch-millisecond time `ts`. */
export function monthIndexOf(ts: number): number {
  const d = new Date(ts);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** The months from the one holding `ts` to `ahead` months after it: the partitions kept ready for ingest. */
export function monthsAround(ts: number, ahead: number): number[] {
  const first = monthIndexOf(ts);
  return Array.from({ length: ahead + 1 }, (_, i) => first + i);
}

/** The month whose partition is named `name`, or undefined for any other table (the default partition). */
export function partitionNamed(name: string): PartitionMonth | undefined {
  const m = /^readings_y(\d{4})m(\d{2})$/.exec(name);
  if (!m) return undefined;
  const month = partitionMonth(Number(m[1]) * 12 + Number(m[2]) - 1);
  return month.name === name ? month : undefined;
}
