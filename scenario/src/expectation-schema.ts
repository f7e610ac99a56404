import { idSchema } from '@coldtrace/shared';
import { z } from 'zod';
import { durationSchema } from './duration.js';

/** A selection of tagged units: `LOT`, `LOT#1001` or `LOT#1001-1012`; or a list of those. */
export const unitsSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** What a scenario expects the system to conclude (`expect:`); times are durations from the start. */
const tolerance = durationSchema.optional();
export const expectationSchema = z.union([
  z
    .object({
      excursion: z
        .object({
          location: idSchema,
          start: durationSchema,
          end: z.union([durationSchema, z.literal('ongoing')]).optional(),
          tolerance,
          critical: z.boolean().optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      excursionCount: z.object({ location: idSchema.optional(), count: z.number().int().min(0) }).strict(),
    })
    .strict(),
  z
    .object({
      locked: z
        .object({
          units: unitsSchema,
          /** Only locks of this cause count: an excursion, or a product's cumulative rule. */
          cause: z.enum(['excursion', 'cumulative']).optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ unlocked: z.object({ units: unitsSchema }).strict() }).strict(),
  z
    .object({ custody: z.object({ units: unitsSchema, at: durationSchema, location: idSchema }).strict() })
    .strict(),
  z
    .object({
      monitoringGap: z
        .object({
          location: idSchema,
          sensor: idSchema.optional(),
          from: durationSchema,
          to: durationSchema,
          tolerance,
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      monitoringGapCount: z
        .object({ location: idSchema.optional(), count: z.number().int().min(0) })
        .strict(),
    })
    .strict(),
  z
    .object({
      deadLetters: z
        .object({
          count: z.number().int().min(0),
          /** Only dead letters with this reason code (e.g. malformed_json, gateway_mismatch, acl_denied). */
          code: z.string().min(1).optional(),
          /** Only dead letters whose reason contains this text. */
          reason: z.string().min(1).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      /**
       * Readings the cloud stored (from one sensor or gateway, or all; with `from`/`to`, stamped in that
       * part of the scenario): at least / at most so many, and the highest known value at least / below.
       */
      readings: z
        .object({
          sensor: idSchema.optional(),
          gateway: idSchema.optional(),
          from: durationSchema.optional(),
          to: durationSchema.optional(),
          atLeast: z.number().int().min(0).optional(),
          atMost: z.number().int().min(0).optional(),
          maxAtLeast: z.number().optional(),
          maxBelow: z.number().optional(),
        })
        .strict()
        .refine(
          (c) =>
            c.atLeast !== undefined ||
            c.atMost !== undefined ||
            c.maxAtLeast !== undefined ||
            c.maxBelow !== undefined,
          'give atLeast, atMost, maxAtLeast or maxBelow',
        ),
    })
    .strict(),
  z
    .object({
      /** RFID movements the cloud stored (through one portal or gateway, or all). */
      movements: z
        .object({
          portal: idSchema.optional(),
          gateway: idSchema.optional(),
          atLeast: z.number().int().min(0).optional(),
          atMost: z.number().int().min(0).optional(),
        })
        .strict()
        .refine((c) => c.atLeast !== undefined || c.atMost !== undefined, 'give atLeast or atMost'),
    })
    .strict(),
  z
    .object({
      sequenceHoles: z.object({ gateway: idSchema.optional(), count: z.number().int().min(0) }).strict(),
    })
    .strict(),
  z
    .object({
      /**
       * The cloud's conclusion on a product's cumulative rule for a lot, from its lot assessment API:
       * whether the rule is exceeded and how long its worst unit spent beyond the threshold.
       */
      cumulativeRule: z
        .object({
          lot: idSchema,
          aboveC: z.number().optional(),
          belowC: z.number().optional(),
          exceeded: z.boolean().optional(),
          exposedAtLeast: durationSchema.optional(),
          exposedBelow: durationSchema.optional(),
        })
        .strict()
        .refine(
          (c) => (c.aboveC === undefined) !== (c.belowC === undefined),
          'give exactly one of aboveC or belowC',
        )
        .refine(
          (c) => c.exceeded !== undefined || c.exposedAtLeast !== undefined || c.exposedBelow !== undefined,
          'give exceeded, exposedAtLeast or exposedBelow',
        ),
    })
    .strict(),
]);
export type Expectation = z.infer<typeof expectationSchema>;
