import { readFileSync } from 'node:fs';
import { formatZodError, idSchema, secretSchema } from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { authConfigSchema } from './auth/auth-config.js';
import { clientIdPrefixProblem, defaultClientIdPrefix, overlappingPrefixes } from './broker/client-ids.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './broker/connection-admission.js';
import { DEFAULT_CONNECTION_RATE } from './broker/connection-rate-limiter.js';
import { DEFAULT_FRAME_LIMITS } from './broker/mqtt-frame-scanner.js';
import { rabbitmqConfigSchema } from './broker/rabbitmq-config.js';
import { rateOfChangeConfigSchema } from './domain/rules/rate-of-change-rule.js';
import { DEFAULT_EPCIS_BASE_URI } from './epcis/epcis-identifiers.js';
import { DEFAULT_EVENT_TIME_LIMITS } from './ingest/event-times.js';
import { webhookEndpointFields } from './integrations/webhook-endpoint.js';
import { influxConfigSchema } from './sinks/influx-config.js';
import { DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS } from './store/db.js';

/**
 * A webhook endpoint seeded at startup (same model as `PUT /api/v1/webhooks/:id`, docs/domain.md); its
 * secret may be `{ env }` or `{ file }` (docs/operations.md "Secrets").
 */
export const webhookConfigSchema = webhookEndpointFields
  .extend({ id: idSchema, secret: secretSchema(webhookEndpointFields.shape.secret) })
  .strict();

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

/** A TLS listener's PEM certificate (chain) and private key files (docs/operations.md "TLS"). */
export const tlsFilesSchema = z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict();

/**
 * MQTTS for the embedded broker. With `clientCa`, gateways may present a client certificate issued by it;
 * one that does must name its gateway id (CN or a DNS/URI SAN). `requireClientCert` refuses any
 * connection without such a certificate (mutual TLS; docs/operations.md "Mutual TLS for gateways").
 */
export const brokerTlsSchema = tlsFilesSchema
  .extend({ clientCa: z.string().min(1).optional(), requireClientCert: z.boolean().default(false) })
  .strict()
  .refine((t) => !t.requireClientCert || t.clientCa !== undefined, {
    message: 'requireClientCert needs clientCa (the CA that issues gateway certificates)',
    path: ['clientCa'],
  });

/**
 * The embedded aedes broker; `port: 0` picks a free port. Set `enabled: false` with an external broker.
 * Connection limits: docs/operations.md "Embedded broker (aedes): limits".
 */
export const embeddedBrokerConfigSchema = z
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
    /** A connection whose CONNECT has not arrived within this is closed (default 10 s). */
    connectTimeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_CONNECT_TIMEOUT_MS),
    /** New connections per source address: `burst` at once, then `perSecond` (default 100, 10/s). */
    connectionRate: z
      .object({
        burst: z.number().int().min(1),
        perSecond: z.number().positive(),
      })
      .strict()
      .default(DEFAULT_CONNECTION_RATE),
    /** Serve MQTTS (MQTT over TLS, conventionally port 8883) instead of plain MQTT on `port`. */
    tls: brokerTlsSchema.optional(),
  })
  .strict();

/**
 * Which proxies are trusted to say the client's address and protocol (`X-Forwarded-For`/`-Proto`):
 * `true` (any: only when nothing but the proxy can reach the port), or the proxy's address or CIDR, or a
 * list of them (Fastify `trustProxy`).
 */
const trustProxySchema = z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const httpConfigSchema = z
  .object({
    host: z.string().default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Serve HTTPS with these files (session cookies become `Secure`, HSTS is sent). */
    tls: tlsFilesSchema.optional(),
    /**
     * A TLS-terminating proxy in front: requests it marks `X-Forwarded-Proto: https` get `Secure`
     * cookies and HSTS as if served over TLS (default false: forwarded headers are ignored).
     */
    trustProxy: trustProxySchema.default(false),
  })
  .strict();

/**
 * A service account on the embedded broker: its secret, or its secret and the prefix its client ids
 * start with (default `<username>@`; broker/client-ids.ts says why it must be one no gateway id can start).
 * The secret may be `{ env }` or `{ file }` (docs/operations.md "Secrets").
 */
const serviceAccountSchema = z.preprocess(
  (a) => (typeof a === 'object' && a !== null && 'secret' in a ? a : { secret: a }),
  z
    .object({
      secret: secretSchema(z.string().min(16)),
      clientIdPrefix: z.string().min(1).max(128).optional(),
    })
    .strict(),
);

export const serviceAccountsSchema = z
  .record(z.string(), serviceAccountSchema)
  .transform((accounts) =>
    Object.fromEntries(
      Object.entries(accounts).map(([username, a]) => [
        username,
        { secret: a.secret, clientIdPrefix: a.clientIdPrefix ?? defaultClientIdPrefix(username) },
      ]),
    ),
  )
  .superRefine((accounts, ctx) => {
    for (const [username, a] of Object.entries(accounts)) {
      const problem = clientIdPrefixProblem(a.clientIdPrefix);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [username, 'clientIdPrefix'] });
    }
    const overlap = overlappingPrefixes(Object.entries(accounts).map(([u, a]) => [u, a.clientIdPrefix]));
    if (overlap) {
      ctx.addIssue({
        code: 'custom',
        message: `the client id prefix of ${overlap[0]} starts that of ${overlap[1]}: ${overlap[0]} could take over ${overlap[1]}'s sessions`,
        path: [overlap[1], 'clientIdPrefix'],
      });
    }
  });

/** Ingest checks and readiness (docs/architecture.md "Broker and ingest", docs/operations.md). */
export const ingestConfigSchema = z
  .object({
    /** Event times later than receipt + this are dead letters `future_timestamp` (default 5 min). */
    maxFutureSkewMs: z.number().int().min(0).default(DEFAULT_EVENT_TIME_LIMITS.maxFutureSkewMs),
    /**
     * Event times earlier than receipt − this are dead letters `stale_timestamp` (default 90 days; at least
     * a day: a backlog replayed after an outage must never be refused).
     */
    maxEventAgeMs: z
      .number()
      .int()
      .min(24 * 3600 * 1000)
      .default(DEFAULT_EVENT_TIME_LIMITS.maxEventAgeMs),
    /** A message in ingest for longer than this makes `/readyz` not ready (default 30 s). */
    maxLagMs: z.number().int().min(1000).default(30_000),
    /** How barcode scans are mapped to custody (docs/barcode.md "Scans in the cloud"). */
    scans: z
      .object({
        /** A code naming a lot master data lacks creates it (product registered, expiry in the code). */
        createLots: z.boolean().default(false),
        /** GS1 company prefixes of scanned products no tag of which is commissioned (SGTIN partition). */
        companyPrefixes: z.array(z.string().regex(/^\d{6,12}$/)).default([]),
        /**
         * HIBC device identifier (LIC + product + unit of measure) → the product's GTIN-14, consulted after
         * the `hibc_links` master data (PUT /api/v1/hibc-links/{di}; docs/barcode.md "HIBC").
         */
        hibcGtins: z.record(z.string().min(1), z.string().regex(/^\d{14}$/)).default({}),
      })
      .strict()
      .default({ createLots: false, companyPrefixes: [], hibcGtins: {} }),
  })
  .strict();

/**
 * Signed audit checkpoints (docs/operations.md "Audit checkpoints"): the Ed25519 key file (outside the
 * database) and where checkpoints go, a directory (one file each, never overwritten) and/or an append-only
 * file; one every `intervalMs` of wall time (default 15 min), at start and at stop.
 */
export const checkpointsConfigSchema = z
  .object({
    keyFile: z.string().min(1),
    dir: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    intervalMs: z
      .number()
      .int()
      .min(1000)
      .default(15 * 60_000),
  })
  .strict()
  .refine((c) => c.dir !== undefined || c.file !== undefined, {
    message: 'audit.checkpoints needs dir or file (or both)',
    path: ['dir'],
  });

/**
 * The PostgreSQL pool (node-postgres): at most `size` connections per cloud process (mind the server's
 * `max_connections` across all processes), how long a query waits for a connection, opening one or
 * for one to come free, before it fails (`connectionTimeoutMs`; default: no limit), and after how long
 * idle inside a transaction PostgreSQL ends a session (`idleInTransactionTimeoutMs`): a cloud frozen or
 * cut off mid-transaction otherwise holds its stream and derive locks for ever, and every other cloud
 * waits on them (docs/operations.md "A cloud that goes silent"). Unused with SQLite.
 */
export const databasePoolConfigSchema = z
  .object({
    size: z.number().int().min(1).max(1000).default(10),
    connectionTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    idleInTransactionTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS),
  })
  .strict();

/** Default period of the retention module's pass: daily. */
export const DEFAULT_RETENTION_INTERVAL_MS = 86_400_000;

/**
 * Archives of raw readings and their retention (docs/operations.md "Archives of raw readings", "Retention
 * of raw readings"): the directory month archives are written to (outside the database's disk, on storage
 * the customer's records retention covers) and, when set, how many days raw readings stay in the database:
 * the retention module then archives each month wholly older than that and deletes its archived readings.
 * Unset: readings are kept forever. The regulatory minimum is the customer's to set.
 */
export const retentionConfigSchema = z
  .object({
    archiveDir: z.string().min(1, 'archiveDir must name the directory the month archives are written to'),
    rawReadingsDays: z
      .number({
        message: 'rawReadingsDays must be a whole number of days (unset: keep raw readings forever)',
      })
      .int('rawReadingsDays must be a whole number of days')
      .min(1, 'rawReadingsDays must be at least 1 day (unset: keep raw readings forever)')
      .max(36_500, 'rawReadingsDays must be at most 36500 days (unset: keep raw readings forever)')
      .optional(),
    intervalMs: z
      .number()
      .int()
      .min(60_000, 'intervalMs must be at least 60000 (one minute)')
      .default(DEFAULT_RETENTION_INTERVAL_MS),
  })
  .strict();

export const auditConfigSchema = z.object({ checkpoints: checkpointsConfigSchema.optional() }).strict();

export const cloudConfigSchema = z
  .object({
    /** `sqlite:<path>` (default) or `postgres://…` (a secret: may be `{ env }` or `{ file }`). */
    database: secretSchema(z.string().min(1)).default('sqlite:.data/cloud.db'),
    /** The PostgreSQL connection pool (docs/operations.md "Store: SQLite or PostgreSQL"). */
    databasePool: databasePoolConfigSchema.default(() => databasePoolConfigSchema.parse({})),
    http: httpConfigSchema.default(() => httpConfigSchema.parse({})),
    mqtt: z
      .object({
        embedded: embeddedBrokerConfigSchema.default(() => embeddedBrokerConfigSchema.parse({})),
        /** Ingest from an external broker instead (or as well), and publish integration events on it. */
        external: z
          .object({
            url: z.string().url(),
            username: z.string().optional(),
            password: secretSchema(z.string()).optional(),
            /** The subscriber's id; integration events go out as `<clientId>-events` (unique per process). */
            clientId: z.string().default('coldtrace-ingestor'),
            sharedGroup: z
              .string()
              .regex(/^[A-Za-z0-9_-]+$/)
              .optional(),
          })
          .strict()
          .optional(),
        /** RabbitMQ for several cloud machines: serves its HTTP auth backend (broker/rabbitmq-config.ts). */
        rabbitmq: rabbitmqConfigSchema
          .extend({ amqpUrl: secretSchema(rabbitmqConfigSchema.shape.amqpUrl) })
          .optional(),
        /**
         * Accounts for ERP/WMS subscribers on the embedded broker: username → secret, or
         * `{ secret, clientIdPrefix }`.
         */
        serviceAccounts: serviceAccountsSchema.default({}),
      })
      .strict()
      .default(() => ({ embedded: embeddedBrokerConfigSchema.parse({}), serviceAccounts: {} })),
    ingest: ingestConfigSchema.default(() => ingestConfigSchema.parse({})),
    evaluation: z
      .object({
        debounceMs: z.number().int().min(0).default(200),
        /**
         * Rate-of-change profiles (docs/architecture.md "Lock rules"): locations whose temperature rising too
         * fast raises an alarm and, with `lock`, locks the units there.
         */
        rateOfChange: rateOfChangeConfigSchema.default([]),
        /**
         * Readings per chunk when a long window (a whole history, a limit change) is re-evaluated: one
         * transaction each, the event loop runs between two (docs/architecture.md "Recovery"). Default
         * 10,000; 0 evaluates it in one transaction.
         */
        chunkReadings: z.number().int().min(0).optional(),
        /**
         * PostgreSQL: evaluate an urgent location (readings that may decide a lock) in a derive transaction of
         * its own beside the background one under way (docs/performance.md "Urgent lane"). Default on;
         * SQLite has one writer and never does.
         */
        urgentLane: z.boolean().optional(),
        /**
         * Period of this cloud's heartbeat on the store and of its sweep for the evaluation marks of clouds
         * that stopped heartbeating (3 periods) or are gone: docs/operations.md "Evaluation marks of a cloud
         * that died". Default 5,000 ms.
         */
        nodeHeartbeatMs: z.number().int().min(100).optional(),
      })
      .strict()
      .default({ debounceMs: 200, rateOfChange: [] }),
    /** InfluxDB time-series sink (optional): readings go there through a durable outbox. */
    influx: influxConfigSchema.extend({ password: secretSchema(z.string()).optional() }).optional(),
    /** Sessions, login rate limit and lockout, cookie flags (cloud/src/auth/auth-config.ts). */
    auth: authConfigSchema.default(authConfigSchema.parse({})),
    /** EPCIS export identifiers (docs/epcis.md). */
    epcis: epcisConfigSchema.default({ baseUri: DEFAULT_EPCIS_BASE_URI }),
    /** Integration endpoints seeded into the domain's webhook table at startup (docs/domain.md). */
    integrations: integrationsConfigSchema.default({ webhooks: [] }),
    /** Signed checkpoints of the audit trail and reading digests (optional). */
    audit: auditConfigSchema.default({}),
    /** Archives of raw readings (optional). */
    retention: retentionConfigSchema.optional(),
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
