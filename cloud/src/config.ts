import { readFileSync } from 'node:fs';
import { formatZodError, idSchema } from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { authConfigSchema } from './auth/auth-config.js';
import { DEFAULT_FRAME_LIMITS } from './broker/mqtt-frame-scanner.js';
import { rateOfChangeConfigSchema } from './domain/rules/rate-of-change-rule.js';
import { DEFAULT_EPCIS_BASE_URI } from './epcis/epcis-identifiers.js';
import { webhookEndpointFields } from './integrations/webhook-endpoint.js';
import { influxConfigSchema } from './sinks/influx-config.js';

/** A webhook endpoint seeded at startup (same model as `PUT /api/v1/webhooks/:id`, docs/domain.md). */
export const webhookConfigSchema = webhookEndpointFields.extend({ id: idSchema }).strict();

export const integrationsConfigSchema = z
  .object({
    webhooks: z
      .array(webhookConfigSchema)
      .default([])
      .refine((ws) => new Set(ws.map((w) => w.id)).size === ws.length, 'webhook ids must be unique'),
    /** How often the outbox is looked at for deliveries due (retries; default 1 s); new events go out at once. */
    outboxPollMs: z.number().int().min(100).optional(),
  })
  .strict();

/**
 * EPCIS export (docs/epcis.md "Identifiers"): `baseUri` prefixes the private identifiers of locations
 * without a GLN, portals and sensors (`<baseUri>/locations/<id>`), the same however the cloud is reached.
 */
export const epcisConfigSchema = z
  .object({
    baseUri: z
      .url({ protocol: /^https?$/, error: 'epcis.baseUri must be an absolute http(s) URI' })
      .transform((u) => u.replace(/\/+$/, ''))
      .default(DEFAULT_EPCIS_BASE_URI),
  })
  .strict();

export const cloudConfigSchema = z
  .object({
    /** `sqlite:<path>` (default) or `postgres://…`. */
    database: z.string().min(1).default('sqlite:.data/cloud.db'),
    http: z
      .object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(8080) })
      .strict()
      .default({ host: '0.0.0.0', port: 8080 }),
    mqtt: z
      .object({
        /** The embedded aedes broker; `port: 0` picks a free port. Set `enabled: false` with an external broker. */
        embedded: z
          .object({
            enabled: z.boolean().default(true),
            host: z.string().default('0.0.0.0'),
            port: z.number().int().min(0).max(65535).default(1883),
            /**
             * Largest MQTT packet after the CONNECT (whole packet, MQTT 5.0 §3.1.2.11.4 counting); a larger
             * one closes the connection before its body is read. Default: the contract's 4 MiB payload
             * limit + 64 KiB, so a payload just over 4 MiB is still read and dead-lettered with a reason.
             */
            maxPacketBytes: z
              .number()
              .int()
              .min(64 * 1024)
              .max(268_435_460)
              .default(DEFAULT_FRAME_LIMITS.maxPacketBytes),
          })
          .strict()
          .default({
            enabled: true,
            host: '0.0.0.0',
            port: 1883,
            maxPacketBytes: DEFAULT_FRAME_LIMITS.maxPacketBytes,
          }),
        /** Ingest from an external broker instead (or as well), and publish integration events on it. */
        external: z
          .object({
            url: z.string().url(),
            username: z.string().optional(),
            password: z.string().optional(),
            /** The subscriber's id; integration events go out as `<clientId>-events` (unique per process). */
            clientId: z.string().default('coldtrace-ingestor'),
            sharedGroup: z
              .string()
              .regex(/^[A-Za-z0-9_-]+$/)
              .optional(),
          })
          .strict()
          .optional(),
        /** Accounts for ERP/WMS subscribers on the embedded broker: username → secret. */
        serviceAccounts: z.record(z.string(), z.string().min(16)).default({}),
      })
      .strict()
      .default({
        embedded: {
          enabled: true,
          host: '0.0.0.0',
          port: 1883,
          maxPacketBytes: DEFAULT_FRAME_LIMITS.maxPacketBytes,
        },
        serviceAccounts: {},
      }),
    evaluation: z
      .object({
        debounceMs: z.number().int().min(0).default(200),
        /**
         * How often every unit of products with cumulative rules is re-evaluated in full (besides at
         * start): bounds how long a lock can wait after another ingestor process died (docs/domain.md).
         */
        cumulativeSweepMs: z.number().int().min(10_000).default(600_000),
        /**
         * Rate-of-change profiles (docs/architecture.md "Lock rules"): locations whose temperature rising too
         * fast raises an alarm and, with `lock`, locks the units there.
         */
        rateOfChange: rateOfChangeConfigSchema.default([]),
      })
      .strict()
      .default({ debounceMs: 200, cumulativeSweepMs: 600_000, rateOfChange: [] }),
    /** InfluxDB time-series sink (optional): readings go there through a durable outbox. */
    influx: influxConfigSchema.optional(),
    /** Sessions, login rate limit and lockout, cookie flags (cloud/src/auth/auth-config.ts). */
    auth: authConfigSchema.default(authConfigSchema.parse({})),
    /** EPCIS export identifiers (docs/epcis.md). */
    epcis: epcisConfigSchema.default({ baseUri: DEFAULT_EPCIS_BASE_URI }),
    /** Integration endpoints seeded into the domain's webhook table at startup (docs/domain.md). */
    integrations: integrationsConfigSchema.default({ webhooks: [] }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type CloudConfig = z.infer<typeof cloudConfigSchema>;
export type CloudConfigInput = z.input<typeof cloudConfigSchema>;

/** Reads and validates a cloud config file (YAML or JSON); the error names the file and each bad path. */
export function loadCloudConfig(file: string): CloudConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read config: ${(err as Error).message}`);
  }
  const parsed = cloudConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new Error(`${file}: invalid config: ${formatZodError(parsed.error)}`);
  return parsed.data;
}
