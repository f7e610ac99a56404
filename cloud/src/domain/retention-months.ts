const DAY_MS = 86_400_000;

/**
 * The calendar months (UTC, `YYYY-MM`, oldest first) from the one holding `firstTs` whose end is at least
 * `rawReadingsDays` before `now` (docs/operations.md "Retention of raw readings"): a month expires only
 * wholly, so none still inside the retention period loses a reading.
 */
export function expiredMonths(firstTs: number, now: number, rawReadingsDays: number): string[] {
  const cutoff = now - rawReadingsDays * DAY_MS;
  const first = new Date(firstTs);
  const out: string[] = [];
  // Months counted from year 0, so December rolls over into the next year by division.
  const end = (i: number) => Date.UTC(Math.floor(i / 12), (i % 12) + 1, 1);
  for (let i = first.getUTCFullYear() * 12 + first.getUTCMonth(); end(i) <= cutoff; i++)
    out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  return out;
}
