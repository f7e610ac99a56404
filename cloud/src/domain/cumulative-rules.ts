import { ColdtraceError, type ExposureCondition } from '@coldtrace/shared';
import { z } from 'zod';

/**
 * A product's WHO PQS-style cumulative rule: a unit may spend less than `limitMs` in total above (or
 * below) `thresholdC` over its whole custody, whatever its locations' own limits say. Reaching the limit
 * locks the unit pending QA (docs/domain.md "Cumulative rules").
 */
export const cumulativeRuleSchema = z
  .object({
    /** `above`: strictly above `thresholdC` (heat); `below`: strictly below it (freeze). */
    kind: z.enum(['above', 'below']),
    thresholdC: z
      .number()
      .finite('thresholdC must be a finite number of °C')
      .min(-100, 'thresholdC must be ≥ -100 °C')
      .max(100, 'thresholdC must be ≤ 100 °C'),
    /** Total time that exceeds the rule when reached (≥), in ms. */
    limitMs: z
      .number()
      .int('limitMs must be whole milliseconds')
      .positive('limitMs must be > 0')
      .max(10 * 365 * 86_400_000, 'limitMs must be at most 10 years'),
  })
  .strict();
export type CumulativeRule = z.infer<typeof cumulativeRuleSchema>;

/** A product's rules: at most one per kind and threshold. */
export const cumulativeRulesSchema = z
  .array(cumulativeRuleSchema)
  .max(8, 'at most 8 cumulative rules per product')
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      const k = `${r.kind}:${r.thresholdC}`;
      if (seen.has(k))
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `two rules for ${r.kind} ${r.thresholdC} °C: give one limit per threshold`,
        });
      seen.add(k);
    });
  });

/** `above:8:36000000`: identifies a rule within a product (a changed limit is another rule). */
export const ruleKey = (r: CumulativeRule): string => `${r.kind}:${r.thresholdC}:${r.limitMs}`;

export const CUMULATIVE_CAUSE = 'cumulative' as const;

/**
 * A cumulative lock's key (`locks.rule_key`, cause `cumulative`): one per lot and rule, so a QA decision
 * per lot covers its locked units exactly as for an excursion. Dispositions and events name it
 * `cumulative:<lot>:<rule>` (`lockSubject`).
 */
export const cumulativeLockKey = (lotId: string, r: CumulativeRule): string => `${lotId}:${ruleKey(r)}`;

export function conditionOf(r: CumulativeRule): ExposureCondition {
  return { kind: r.kind, thresholdC: r.thresholdC };
}

const signed = (c: number) => `${c > 0 ? '+' : ''}${c}`;

/** `≥ 10 h 00 min above +8 °C` */
export function describeRule(r: CumulativeRule): string {
  return `≥ ${describeMs(r.limitMs)} ${r.kind} ${signed(r.thresholdC)} °C`;
}

/** `10 h 40 min`, `25 min` */
export function describeMs(ms: number): string {
  const min = Math.floor(ms / 60_000);
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h === 0) return `${min} min`;
  return `${h} h ${String(rest).padStart(2, '0')} min`;
}

/** The rules stored with a product (`products.cumulative_rules`); a corrupt value is an error, never ignored. */
export function parseStoredRules(gtin: string, json: string | null | undefined): CumulativeRule[] {
  if (json === null || json === undefined || json === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ColdtraceError('invalid_master_data', `product ${gtin}: cumulative_rules is not JSON`);
  }
  const parsed = cumulativeRulesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ColdtraceError(
      'invalid_master_data',
      `product ${gtin}: cumulative_rules is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Canonical JSON of a product's rules (sorted, so an unchanged set stores the same text). */
export function serializeRules(rules: readonly CumulativeRule[]): string {
  const sorted = [...rules].sort((a, b) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.thresholdC - b.thresholdC,
  );
  return JSON.stringify(sorted.map((r) => ({ kind: r.kind, thresholdC: r.thresholdC, limitMs: r.limitMs })));
}
