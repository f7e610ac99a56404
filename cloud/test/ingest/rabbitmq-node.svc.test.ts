import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh). The test node is up when `create`/`start`
// resolve, for AMQP as well as MQTT: RabbitMQ 3.10 opens its AMQP listener some 200 ms after the MQTT
// plugin's, and amqp-layout-upgrade.svc.test.ts, which connects over AMQP first, was refused in that gap.

describe('the RabbitMQ test node', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-rabbitmq-node-'));
  let store: CloudStore | undefined;
  let auth: Awaited<ReturnType<typeof startBrokerAuth>> | undefined;
  let node: RabbitmqNode | undefined;
  afterAll(async () => {
    await node?.destroy();
    await auth?.app.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects over AMQP once, with no retry, as the ingestor: 'connected' or why not. */
  const amqpAnswer = async (n: RabbitmqNode) => {
    const url = `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${n.amqpPort}/`;
    try {
      await (await amqplibConnect(url)).close();
      return 'connected';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('accepts AMQP connections as soon as it is started, and again after a restart', async () => {
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    auth = await startBrokerAuth(store);
    node = await RabbitmqNode.create(auth.url);
    expect(await amqpAnswer(node)).toBe('connected');
    await node.stop();
    await node.start();
    expect(await amqpAnswer(node)).toBe('connected');
  });
});
