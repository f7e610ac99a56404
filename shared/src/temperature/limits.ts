import { z } from 'zod';

/**
 * A location's temperature profile (docs/architecture.md "Master data", "Excursion"): the range, how
 * long a reading may stay out before the run is an excursion, the margin past which one reading is
 * enough, and the longest silence between readings that still counts as monitored.
 */
/** The limit fields without the cross-field rule, to extend (e.g. a location body); use `withLimitsRule`. */
export const tempLimitsFields = z
  .object({
    minC: z.number().finite('minC must be a finite number of °C'),
    maxC: z.number().finite('maxC must be a finite number of °C'),
    alarmDelayMs: z
      .number()
      .int('alarmDelayMs must be whole milliseconds')
      .min(0, 'alarmDelayMs must be ≥ 0'),
    criticalMarginC: z.number().finite().min(0, 'criticalMarginC must be ≥ 0'),
    maxGapMs: z.number().int('maxGapMs must be whole milliseconds').positive('maxGapMs must be > 0'),
  })
  .strict();

/** Adds the cross-field rule minC < maxC to a schema holding the limit fields. */
export function withLimitsRule<T extends z.ZodType<{ minC: number; maxC: number }>>(schema: T): T {
  return schema.refine((l) => l.minC < l.maxC, { message: 'minC must be below maxC', path: ['maxC'] }) as T;
}

export const tempLimitsSchema = withLimitsRule(tempLimitsFields);
export type TempLimits = z.infer<typeof tempLimitsSchema>;

/** Where a known reading lies against the range. */
export type Band = 'in' | 'high' | 'low';

/** docs/architecture.md "Excursion": a reading is in range iff `minC ≤ tempC ≤ maxC` (both limits inclusive). */
export function classify(tempC: number, l: Pick<TempLimits, 'minC' | 'maxC'>): Band {
  if (tempC > l.maxC) return 'high';
  if (tempC < l.minC) return 'low';
  return 'in';
}

/** Distance in °C beyond the violated limit; 0 in range. */
export function excessC(tempC: number, l: Pick<TempLimits, 'minC' | 'maxC'>): number {
  if (tempC > l.maxC) return tempC - l.maxC;
  if (tempC < l.minC) return l.minC - tempC;
  return 0;
}

/**
 * docs/architecture.md "Excursion": a reading that passes the critical margin makes its run an excursion at once.
 * Strict: a reading exactly at `maxC + criticalMarginC` (or `minC − criticalMarginC`) is not critical.
 */
export function isCritical(tempC: number, l: Pick<TempLimits, 'minC' | 'maxC' | 'criticalMarginC'>): boolean {
  return tempC > l.maxC + l.criticalMarginC || tempC < l.minC - l.criticalMarginC;
}
