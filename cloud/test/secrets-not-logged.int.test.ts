import { freePort, tempFiles, until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { startTestCloud } from './helpers/test-cloud.js';

// Secrets given as { env } or { file } (docs/operations.md "Secrets") reach the parts that use them and
// never a log line, at the most verbose level, through a start, failing connections and a stop.

const files = tempFiles('secrets-not-logged-');
afterAll(files.remove);

it('no log line holds a secret', { timeout: 60_000 }, async () => {
  const secrets = {
    COLDTRACE_TEST_ERP: 'erp-secret-7f3a9c1e55d0',
    COLDTRACE_TEST_HOOK: 'hook-secret-91b2c4d6e8f0',
    COLDTRACE_TEST_AMQP_PASSWORD: 'amqp-secret-4e6f8a0b2c4d',
    COLDTRACE_TEST_INFLUX: 'influx-secret-0a1b2c3d4e5f',
  };
  Object.assign(process.env, secrets, {
    COLDTRACE_TEST_AMQP_URL: `amqp://coldtrace-ingestor:${secrets.COLDTRACE_TEST_AMQP_PASSWORD}@127.0.0.1:${await freePort()}/`,
  });
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const cloud = await startTestCloud(
    {
      database: { file: files.file('database-url', `sqlite:${files.dir}/cloud.db\n`) },
      mqtt: {
        embedded: { host: '127.0.0.1', port: 0 },
        serviceAccounts: { erp: { env: 'COLDTRACE_TEST_ERP' } },
        // Nothing listens there: the AMQP source fails and logs why, again and again.
        rabbitmq: { amqpUrl: { env: 'COLDTRACE_TEST_AMQP_URL' } },
      },
      influx: {
        url: `http://127.0.0.1:${await freePort()}`,
        username: 'coldtrace',
        password: { env: 'COLDTRACE_TEST_INFLUX' },
        retryMinMs: 50,
        retryMaxMs: 100,
      },
      integrations: {
        webhooks: [{ id: 'erp', url: 'http://127.0.0.1:9/hook', secret: { env: 'COLDTRACE_TEST_HOOK' } }],
      },
    },
    { log },
  );
  try {
    expect(cloud.config.mqtt.serviceAccounts.erp?.secret).toBe(secrets.COLDTRACE_TEST_ERP);
    expect(cloud.config.integrations.webhooks[0]?.secret).toBe(secrets.COLDTRACE_TEST_HOOK);
    // A wrong login of the service account, and both failing connections, logged.
    const c = cloud.connect('erp', 'not-the-secret-at-all', { clientId: 'erp@1' });
    await expect(c).rejects.toThrow();
    await until(
      () => lines.some((l) => l.includes('AMQP ingest could not start')),
      'the AMQP failure logged',
    );
    await until(() => lines.some((l) => l.includes('InfluxDB sink started')), 'the InfluxDB sink started');
  } finally {
    await cloud.stop();
    for (const name of [...Object.keys(secrets), 'COLDTRACE_TEST_AMQP_URL']) delete process.env[name];
  }
  expect(lines.length).toBeGreaterThan(10);
  for (const secret of Object.values(secrets))
    expect(
      lines.filter((l) => l.includes(secret)),
      secret,
    ).toEqual([]);
});
