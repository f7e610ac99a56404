import { z } from 'zod';

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
    /** Login attempts per client address per window (@fastify/rate-limit). */
    loginRateLimit: z
      .object({
        max: z.number().int().min(1).default(20),
        windowMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ max: 20, windowMs: 60_000 }),
    /** Per-username lockout: after `maxFailures` consecutive failures, lock for `baseLockMs`·2^(n−max), ≤ `maxLockMs`. */
    lockout: z
      .object({
        maxFailures: z.number().int().min(1).default(5),
        baseLockMs: z.number().int().min(0).default(30_000),
        maxLockMs: z
          .number()
          .int()
          .min(0)
          .default(15 * 60_000),
      })
      .strict()
      .default({ maxFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000 }),
  })
  .strict();

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type AuthConfigInput = z.input<typeof authConfigSchema>;
