import { z } from 'zod';

/** The optional `influx:` section of the cloud config (docs/architecture.md "Storage and sinks"). */
export const influxConfigSchema = z
  .object({
    /** InfluxDB 1.x HTTP API base URL (2.x/3.x: their v1-compatibility endpoint). */
    url: z.string().url(),
    database: z.string().min(1).default('coldtrace'),
    username: z.string().optional(),
    password: z.string().optional(),
    measurement: z.string().min(1).default('temperature'),
    /** Points per `/write` request. */
    batchSize: z.number().int().min(1).max(50_000).default(5000),
    /** How often an empty outbox is looked at again. */
    pollMs: z.number().int().min(10).default(1000),
    /** Backoff after a failed write: doubles from retryMinMs up to retryMaxMs. */
    retryMinMs: z.number().int().min(1).default(500),
    retryMaxMs: z.number().int().min(1).default(60_000),
    timeoutMs: z.number().int().min(100).default(10_000),
    /** Issue `CREATE DATABASE` (idempotent) before the first write. */
    createDatabase: z.boolean().default(true),
    /** When the sink is first enabled, also send the readings stored before. */
    backfill: z.boolean().default(true),
  })
  .strict();

export type InfluxConfig = z.infer<typeof influxConfigSchema>;
export type InfluxConfigInput = z.input<typeof influxConfigSchema>;
