import { join } from 'node:path';
import { tempFiles } from '@coldtrace/shared/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cloudConfigSchema, loadCloudConfig } from '../src/config.js';

/** Secrets given as `{ env }` or `{ file }` in the cloud config (docs/operations.md "Secrets"). */
const { dir, file, remove } = tempFiles('config-secrets-');
afterAll(remove);
const ENV = 'CT_CONFIG_SECRETS_TEST';
afterEach(() => {
  delete process.env[ENV];
});

/** Each secret field of the cloud config: where it goes in the input, and where its value comes out. */
const FIELDS: {
  name: string;
  value: string;
  input: (secret: unknown) => unknown;
  output: (c: ReturnType<typeof cloudConfigSchema.parse>) => unknown;
}[] = [
  {
    name: 'database',
    value: 'postgres://coldtrace:pg-secret@db:5432/coldtrace',
    input: (s) => ({ database: s }),
    output: (c) => c.database,
  },
  {
    name: 'mqtt.external.password',
    value: 'ingestor-secret',
    input: (s) => ({ mqtt: { external: { url: 'mqtt://broker:1883', username: 'i', password: s } } }),
    output: (c) => c.mqtt.external?.password,
  },
  {
    name: 'mqtt.rabbitmq.amqpUrl',
    value: 'amqp://coldtrace-ingestor:rabbit-secret@rabbitmq:5672/',
    input: (s) => ({ mqtt: { rabbitmq: { amqpUrl: s } } }),
    output: (c) => c.mqtt.rabbitmq?.amqpUrl,
  },
  {
    name: 'mqtt.serviceAccounts.erp.secret',
    value: 'erp-secret-0123456789',
    input: (s) => ({ mqtt: { serviceAccounts: { erp: s } } }),
    output: (c) => c.mqtt.serviceAccounts.erp?.secret,
  },
  {
    name: 'mqtt.serviceAccounts.wms.secret',
    value: 'wms-secret-0123456789',
    input: (s) => ({ mqtt: { serviceAccounts: { wms: { secret: s, clientIdPrefix: 'wms-svc@' } } } }),
    output: (c) => c.mqtt.serviceAccounts.wms?.secret,
  },
  {
    name: 'influx.password',
    value: 'influx-token',
    input: (s) => ({ influx: { url: 'http://influxdb:8086', username: 'u', password: s } }),
    output: (c) => c.influx?.password,
  },
  {
    name: 'integrations.webhooks.0.secret',
    value: 'webhook-secret-0123456789',
    input: (s) => ({
      integrations: { webhooks: [{ id: 'erp', url: 'https://erp.example/hook', secret: s }] },
    }),
    output: (c) => c.integrations.webhooks[0]?.secret,
  },
];

describe('cloud config secrets', () => {
  it.each(FIELDS)('$name: the value itself, { env } or { file }', (f) => {
    expect(f.output(cloudConfigSchema.parse(f.input(f.value)))).toBe(f.value);
    process.env[ENV] = f.value;
    const fromEnv = cloudConfigSchema.parse(f.input({ env: ENV }));
    expect(f.output(fromEnv)).toBe(f.value);
    // A parsed config holds plain strings: startCloud parses it again to the same.
    expect(cloudConfigSchema.parse(fromEnv)).toEqual(fromEnv);
    const fromFile = cloudConfigSchema.parse(f.input({ file: file(`${f.name}.secret`, `${f.value}\n`) }));
    expect(f.output(fromFile)).toBe(f.value);
  });

  it.each(FIELDS)('$name: an unset variable or an unreadable file fails with the path', (f) => {
    const unset = cloudConfigSchema.safeParse(f.input({ env: ENV }));
    expect(unset.success).toBe(false);
    expect(unset.error?.issues).toEqual([
      expect.objectContaining({
        path: f.name.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
        message: `environment variable ${ENV} is not set`,
      }),
    ]);
    const missing = join(dir, 'missing.secret');
    const unreadable = cloudConfigSchema.safeParse(f.input({ file: missing }));
    expect(unreadable.error?.issues.map((i) => i.message)).toEqual([
      `cannot read secret file ${missing} (ENOENT)`,
    ]);
  });

  it('a resolved secret still meets its field rule, and the refusal does not show it', () => {
    process.env[ENV] = 'short';
    const r = cloudConfigSchema.safeParse({
      integrations: { webhooks: [{ id: 'erp', url: 'https://erp.example/hook', secret: { env: ENV } }] },
    });
    expect(r.error?.issues.map((i) => i.message)).toEqual(['secret must be at least 16 characters']);
    expect(JSON.stringify(r.error?.issues)).not.toContain('short');
  });

  it('loadCloudConfig names the file, the field and the variable', () => {
    const path = file('cloud.yaml', `database: { env: ${ENV} }\n`);
    expect(() => loadCloudConfig(path)).toThrow(
      `${path}: invalid config: database: environment variable ${ENV} is not set`,
    );
    process.env[ENV] = 'postgres://coldtrace:from-env@db/coldtrace';
    expect(loadCloudConfig(path).database).toBe('postgres://coldtrace:from-env@db/coldtrace');
  });
});

describe('databasePool', () => {
  it('defaults to 10 connections, no wait limit and 10 s idle in a transaction', () => {
    expect(cloudConfigSchema.parse({}).databasePool).toEqual({
      size: 10,
      idleInTransactionTimeoutMs: 10_000,
    });
  });

  it('takes a size, a connection timeout and an idle in transaction limit within bounds', () => {
    expect(
      cloudConfigSchema.parse({
        databasePool: { size: 40, connectionTimeoutMs: 5000, idleInTransactionTimeoutMs: 3000 },
      }).databasePool,
    ).toEqual({ size: 40, connectionTimeoutMs: 5000, idleInTransactionTimeoutMs: 3000 });
    for (const bad of [
      { size: 0 },
      { size: 1.5 },
      { size: 1001 },
      { connectionTimeoutMs: 10 },
      { idleInTransactionTimeoutMs: 0 },
      { idleInTransactionTimeoutMs: 3_600_001 },
      { max: 5 },
    ]) {
      expect(cloudConfigSchema.safeParse({ databasePool: bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
