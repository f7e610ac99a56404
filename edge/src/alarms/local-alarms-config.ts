import { idSchema, tempLimitsSchema } from '@coldtrace/shared';
import { z } from 'zod';

export const localAlarmsConfigSchema = z
  .object({
    /** Locations whose limits the edge evaluates itself (docs/architecture.md "Local alarms"). */
    locations: z.array(z.object({ id: idSchema, limits: tempLimitsSchema }).strict()).max(1024),
    /** Consecutive sensor-error readings that raise `sensor_fault` for that sensor. */
    sensorFaultAfter: z.number().int().min(1).max(10_000).default(3),
    /** Bound of each sensor's window of samples kept for the ongoing run. */
    maxWindowSamples: z.number().int().min(10).max(1_000_000).default(5000),
  })
  .strict()
  .refine((c) => new Set(c.locations.map((l) => l.id)).size === c.locations.length, {
    message: 'a location is listed twice',
    path: ['locations'],
  });
export type LocalAlarmsConfig = z.infer<typeof localAlarmsConfigSchema>;
export type LocalAlarmsConfigInput = z.input<typeof localAlarmsConfigSchema>;
