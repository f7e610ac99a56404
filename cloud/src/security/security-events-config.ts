import { z } from 'zod';
import { SECURITY_EVENTS } from './security-event-names.js';

/**
 * How security events reach the audit trail and raise alerts (cloud/src/security/security-events.ts):
 * `auditBurst` bounds the entries one repeated event (same event, actor and source) writes per window (the
 * rest are counted and their number stated on a later entry); `alert`, when set, raises a `security_alert`
 * integration event (webhooks and MQTT) when `threshold` events (of `events`, default all) occur within
 * `windowMs`, at most once per window.
 */
export const securityEventsConfigSchema = z
  .object({
    auditBurst: z
      .object({
        max: z.number().int().min(1).default(20),
        windowMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ max: 20, windowMs: 60_000 }),
    alert: z
      .object({
        threshold: z.number().int().min(1),
        windowMs: z
          .number()
          .int()
          .min(1000)
          .default(5 * 60_000),
        events: z.array(z.enum(SECURITY_EVENTS)).min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SecurityEventsConfig = z.infer<typeof securityEventsConfigSchema>;
