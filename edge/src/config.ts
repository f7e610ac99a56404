import { readFileSync } from 'node:fs';
import {
  idSchema,
  MAX_BATCH_RECORDS,
  resolveSecretRef,
  secretSchema,
  tempLimitsSchema,
} from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { modbusBusConfigSchema } from './modbus/modbus-config.js';
import { portalConfigSchema } from './portal/portal-config.js';
import {
  DEFAULT_BATCH,
  DEFAULT_INFLIGHT_WINDOW,
  DEFAULT_LIVE_WINDOW_MS,
  DEFAULT_PUBACK_TIMEOUT_MS,
} from './publisher/publisher-config.js';
import { scanStationConfigSchema } from './scan/scan-config.js';
import { scanPageConfigSchema } from './scan/scan-page-config.js';

/** One gateway's configuration (YAML or JSON), read once at start and validated here. */
export const gatewayConfigSchema = z
  .object({
    gatewayId: idSchema,
    /** Where the buffer database lives; created if missing. */
    dataDir: z.string().min(1).default('.data/gateway'),
    mqtt: z
      .object({
        url: z.string().url(),
        /**
         * The secret the cloud issued (`coldtrace gateway add`), or `{ env: NAME }` / `{ file: PATH }`
         * (docs/operations.md "Secrets"); `passwordFile: PATH` is `password: { file: PATH }`.
         */
        password: secretSchema(z.string().min(1)).optional(),
        passwordFile: z.string().min(1).optional(),
        clientId: z.string().min(1).optional(),
        connectTimeoutMs: z.number().int().min(100).default(10_000),
        reconnectMs: z.number().int().min(50).default(2_000),
        /** A batch not acknowledged (PUBACK) this long drops the connection and replays (docs/durability.md). */
        pubackTimeoutMs: z.number().int().min(1000).default(DEFAULT_PUBACK_TIMEOUT_MS),
        /**
         * A readings batch whose readings are all younger than this goes on the `readings-live` topic, so a
         * RabbitMQ deployment stores it before other gateways' backlogs (docs/architecture.md "Live
         * readings"); 0 sends every batch on `readings` (a cloud older than this topic).
         */
        liveWindowMs: z.number().int().min(0).default(DEFAULT_LIVE_WINDOW_MS),
        /**
         * For an `mqtts://` url: the CA that issued the broker's certificate (default: the system CAs), and
         * for mutual TLS this gateway's certificate (naming its gateway id) and key; PEM files.
         */
        tls: z
          .object({
            caFile: z.string().min(1).optional(),
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
          })
          .strict()
          .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
            message: 'give certFile and keyFile together',
          })
          .optional(),
      })
      .strict()
      .refine((m) => !(m.password && m.passwordFile), { message: 'give password or passwordFile, not both' }),
    buffer: z
      .object({
        maxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(512 * 1024 * 1024),
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        thinWindowMs: z
          .number()
          .int()
          .positive()
          .default(15 * 60_000),
        /** While the buffer refuses records, its buffer_full alarm is re-raised with the count this often. */
        fullAlarmUpdateMs: z
          .number()
          .int()
          .min(1000)
          .default(10 * 60_000),
      })
      .strict()
      .default({
        maxBytes: 512 * 1024 * 1024,
        synchronous: 'FULL',
        thinWindowMs: 15 * 60_000,
        fullAlarmUpdateMs: 10 * 60_000,
      }),
    batch: z
      .object({
        /** Records per batch at most (defaults: `DEFAULT_BATCH`, publisher-config.ts, and why). */
        maxRecords: z.number().int().min(1).max(MAX_BATCH_RECORDS).default(DEFAULT_BATCH.maxRecords),
        maxAgeMs: z.number().int().min(0).default(DEFAULT_BATCH.maxAgeMs),
        /** Batches per stream published and not yet acknowledged (PUBACK). */
        inflightWindow: z.number().int().min(1).max(64).default(DEFAULT_INFLIGHT_WINDOW),
      })
      .strict()
      .default({ ...DEFAULT_BATCH, inflightWindow: DEFAULT_INFLIGHT_WINDOW }),
    /** Locations this gateway watches: their limits drive local alarms and urgent publishing. */
    locations: z
      .array(z.object({ id: idSchema, name: z.string().optional(), limits: tempLimitsSchema }).strict())
      .default([]),
    portals: z.array(portalConfigSchema).default([]),
    modbus: z.array(modbusBusConfigSchema).default([]),
    /** Barcode scan stations (docs/barcode.md). */
    scanStations: z.array(scanStationConfigSchema).default([]),
    /** The local scan page for keyboard-wedge handhelds (docs/barcode.md "Scan page"); omit to disable. */
    scanPage: scanPageConfigSchema.optional(),
    /** Health and Prometheus metrics endpoint; omit to disable, port 0 for any free port. */
    http: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) })
      .strict()
      .optional(),
    statusIntervalMs: z.number().int().min(1000).default(30_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const locations = new Set(c.locations.map((l) => l.id));
    if (locations.size !== c.locations.length) {
      ctx.addIssue({ code: 'custom', path: ['locations'], message: 'a location id is listed twice' });
    }
    const sensorIds = c.modbus.flatMap((b) => b.sensors.map((s) => s.id));
    if (new Set(sensorIds).size !== sensorIds.length) {
      ctx.addIssue({ code: 'custom', path: ['modbus'], message: 'a sensor id is used on two buses' });
    }
    const portalIds = c.portals.map((p) => p.id);
    if (new Set(portalIds).size !== portalIds.length) {
      ctx.addIssue({ code: 'custom', path: ['portals'], message: 'a portal id is listed twice' });
    }
    const stationIds = [...c.scanStations, ...(c.scanPage?.stations ?? [])].map((s) => s.id);
    if (new Set(stationIds).size !== stationIds.length) {
      ctx.addIssue({ code: 'custom', path: ['scanStations'], message: 'a scan station id is listed twice' });
    }
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'invalid_config';
}

/** Validates a parsed config; the error names the source, each bad path and what is wrong with it. */
export function parseGatewayConfig(raw: unknown, source = 'config'): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${source}: ${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new ConfigError(`invalid gateway config\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Reads a YAML or JSON config file. */
export function loadGatewayConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML/JSON: ${(err as Error).message}`);
  }
  return parseGatewayConfig(raw, file);
}

/** The MQTT secret from the config (resolved at load) or its `passwordFile`, read like `{ file }`. */
export function mqttPassword(config: GatewayConfig): string | undefined {
  if (config.mqtt.password) return config.mqtt.password;
  if (config.mqtt.passwordFile) {
    const r = resolveSecretRef({ file: config.mqtt.passwordFile });
    if (!r.ok) throw new ConfigError(`mqtt.passwordFile: ${r.reason}`);
    return r.value;
  }
  return undefined;
}

/** The PEM files of `mqtt.tls`, read (the publisher's `ca`, `cert`, `key`). */
export function mqttTls(config: GatewayConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const tls = config.mqtt.tls ?? {};
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [field, name] of [
    ['caFile', 'ca'],
    ['certFile', 'cert'],
    ['keyFile', 'key'],
  ] as const) {
    const file = tls[field];
    if (file === undefined) continue;
    try {
      out[name] = readFileSync(file);
    } catch (err) {
      throw new ConfigError(`mqtt.tls.${field}: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return out;
}
