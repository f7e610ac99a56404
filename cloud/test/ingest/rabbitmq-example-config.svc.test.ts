import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gatewayTopic } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { TEST_INGESTOR } from './broker-auth-server.js';
import { CloudCliProcess } from './cloud-cli-process.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh) and PostgreSQL. The several-machines deployment
// started as docs/operations.md "Several machines: RabbitMQ" and "Deploying" say, without Docker: the shipped
// deploy/examples/cloud-rabbitmq.yaml (its secrets from the environment, as docker-compose.scaled.yml and
// the systemd unit's cloud.env give them), only its machine-specific values changed (HTTP address, the
// broker's address in authFrom, no InfluxDB here); a RabbitMQ node on deploy/rabbitmq/ asking this cloud's
// own /broker/auth/*; the gateway registered once with `coldtrace gateway add --config` on the same file.

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/coldtrace.mjs');
const run = promisify(execFile);
const skip = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server')
  ? undefined
  : "Debian's rabbitmq-server not installed (deploy/dev-services.sh)";
if (skip) console.warn(`SKIPPED the shipped RabbitMQ example test: ${skip}`);

describe.skipIf(skip)('deploy/examples/cloud-rabbitmq.yaml started as shipped', { timeout: 180_000 }, () => {
  let dir: string;
  let pg: FreshPostgres;
  let node: RabbitmqNode;
  let cloud: CloudCliProcess;
  let gateway: MqttClient | undefined;
  let env: Record<string, string>;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-rabbitmq-example-'));
    pg = await freshPostgresUrl();
    const port = await freePort();
    // RabbitMQ asks this cloud, as rabbitmq.conf asks http://cloud:8080; the cloud is not up yet, and
    // retries its own AMQP login (which RabbitMQ checks with it) until it is.
    node = await RabbitmqNode.create(`http://127.0.0.1:${port}`);
    const example = parseYaml(readFileSync(join(ROOT, 'deploy/examples/cloud-rabbitmq.yaml'), 'utf8'));
    // The secrets stay `{ env: … }` references, as shipped.
    expect(example.database).toEqual({ env: 'COLDTRACE_DATABASE_URL' });
    expect(example.mqtt.rabbitmq.amqpUrl).toEqual({ env: 'COLDTRACE_AMQP_URL' });
    example.http = { ...example.http, host: '127.0.0.1', port };
    example.mqtt.rabbitmq.authFrom = ['127.0.0.1', '::1'];
    delete example.influx;
    example.logLevel = process.env.LOG_LEVEL ?? 'warn';
    env = {
      COLDTRACE_DATABASE_URL: pg.url,
      COLDTRACE_AMQP_URL: `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
    };
    Object.assign(process.env, env); // the cloud's child process gets them, as from cloud.env
    cloud = new CloudCliProcess('cloud', dir, example);
    configFile = join(dir, 'cloud.yaml');
    await cloud.start();
  }, 180_000);

  afterAll(async () => {
    await gateway?.endAsync(true).catch(() => {});
    await cloud?.stop();
    await node?.destroy();
    await pg?.drop();
    for (const k of Object.keys(env ?? {})) delete process.env[k];
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('is ready, registers a gateway with gateway add --config, and stores what it publishes through RabbitMQ', async () => {
    await until(async () => (await cloud.ready()).status === 200, 'ready: consuming every partition', {
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    const added = await run(process.execPath, [BIN, 'gateway', 'add', 'gw-example', '--config', configFile], {
      env: { ...process.env, ...env },
    });
    const secret = /MQTT password: (\S+)/.exec(added.stdout)?.[1];
    expect(secret).toBeDefined();

    gateway = await mqtt.connectAsync(node.mqttUrl, {
      clientId: 'gw-example',
      username: 'gw-example',
      password: secret!,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
    });
    const batch = readingsBatch('gw-example', readings(5, { firstSeq: 1 }));
    await gateway.publishAsync(gatewayTopic('gw-example', 'readings'), JSON.stringify(batch), { qos: 1 });

    const store = new CloudStore(await openDatabase(pg.url));
    try {
      const stored = async () =>
        (await store.listReadings({ gatewayId: 'gw-example', limit: 100 })).map((r) => r.seq);
      await until(async () => (await stored()).length === 5, 'the batch stored');
      expect((await stored()).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await store.close();
    }
    // Consumed from the queues deploy/rabbitmq/definitions.json declares: a config naming other queues
    // would get its copy from queues of its own while these grow, unseen.
    await until(
      async () => Object.values(await node.queues()).every((q) => q.messages === 0),
      'every queue of the node empty (their counts refresh every few seconds)',
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});
