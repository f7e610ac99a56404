import { z } from 'zod';
import { securityEventsConfigSchema } from '../security/security-events-config.js';

/** A lock of `baseLockMs`·2^(n−max) after the n-th failure, at most `maxLockMs`. */
const backoff = {
  baseLockMs: z.number().int().min(0).default(30_000),
  maxLockMs: z
    .number()
    .int()
    .min(0)
    .default(15 * 60_000),
};

/** Authentication settings (cloud config `auth`, or `buildApp({ auth })`). */
export const authConfigSchema = z
  .object({
    /** Absolute session lifetime. */
    sessionTtlMs: z
      .number()
      .int()
      .min(60_000)
      .default(12 * 3600_000),
    /** A session unused for this long ends (21 CFR 11.300(d)-style inactivity logout). */
    sessionIdleMs: z
      .number()
      .int()
      .min(60_000)
      .default(30 * 60_000),
    /**
     * Secure cookies and HSTS on every request, even ones that do not look like TLS (a TLS proxy that sends no
     * `X-Forwarded-Proto`). Over HTTPS, or through a trusted proxy that says https, they are on anyway.
     */
    cookieSecure: z.boolean().default(false),
    /** Security events: bursts on the audit trail, threshold alerts. */
    securityEvents: securityEventsConfigSchema.default({ auditBurst: { max: 20, windowMs: 60_000 } }),
    /** Login attempts per client address per window (@fastify/rate-limit). */
    loginRateLimit: z
      .object({
        max: z.number().int().min(1).default(20),
        windowMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ max: 20, windowMs: 60_000 }),
    /**
     * Per-source throttle, checked before the account: after `maxFailures` failed logins from one client
     * address for one username, that address is refused for that username for `baseLockMs`·2^(n−max),
     * ≤ `maxLockMs`. Its further failures no longer count toward the account, and `maxFailures` is below
     * the account's, so one source alone cannot lock a user out (docs/architecture.md "HTTP API and QA pages").
     */
    sourceThrottle: z
      .object({
        maxFailures: z.number().int().min(1).default(5),
        ...backoff,
      })
      .strict()
      .default({ maxFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000 }),
    /**
     * Per-username lockout: after `maxFailures` consecutive failures (from any sources, and failed
     * e-signatures), lock for `baseLockMs`·2^(n−max), ≤ `maxLockMs`; an admin can unlock early. Failures
     * more than `windowMs` after the previous one (or after the lock ended) start both counts again.
     */
    lockout: z
      .object({
        maxFailures: z.number().int().min(1).default(10),
        windowMs: z
          .number()
          .int()
          .min(1000)
          .default(15 * 60_000),
        ...backoff,
      })
      .strict()
      .default({ maxFailures: 10, windowMs: 15 * 60_000, baseLockMs: 30_000, maxLockMs: 15 * 60_000 }),
  })
  .strict()
  .refine((c) => c.sourceThrottle.maxFailures < c.lockout.maxFailures, {
    message:
      'sourceThrottle.maxFailures must be below lockout.maxFailures (throttle a source before locking an account)',
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type AuthConfigInput = z.input<typeof authConfigSchema>;
