import { gatewayTopic, type ReadingsBatch } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLayout } from '../../src/ingest/rabbitmq-routing.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { securityActions as securityEntries } from '../helpers/security-actions.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh); starts its own node (rabbitmq-node.ts) on
// deploy/rabbitmq/'s config, asking this test's cloud who may log in and publish.

const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };

describe('gateways publishing into RabbitMQ over MQTT', { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  let node: RabbitmqNode;
  const secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    cloud = await startTestCloud({
      mqtt: {
        embedded: { enabled: false },
        // A port nothing listens on: this cloud answers RabbitMQ's auth questions but consumes nothing,
        // so the queue depths below are what the gateways put there (amqp-source.svc.test.ts consumes).
        rabbitmq: {
          amqpUrl: `amqp://${INGESTOR.username}:${INGESTOR.password}@127.0.0.1:${await freePort()}/`,
        },
      },
    });
    for (const id of ['gw-a', 'gw-b']) secrets[id] = await cloud.addGateway(id);
    node = await RabbitmqNode.create(cloud.httpUrl, { cacheTtlMs: 1000 });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await node?.destroy();
    await cloud?.stop();
  });

  const connect = async (id: string, password = secrets[id]!, clientId = id) => {
    // RabbitMQ 3.10 speaks MQTT 3.1.1 only.
    const c = await mqtt.connectAsync(node.mqttUrl, {
      clientId,
      username: id,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    clients.push(c);
    return c;
  };
  /** A stream kind's messages, over its partition queues. */
  const messages = async (stream: string) =>
    Object.entries(await node.queues())
      .filter(([name]) => name.startsWith(`coldtrace.${stream}.`))
      .reduce((n, [, q]) => n + q.messages, 0);
  const securityActions = (subject: string) => securityEntries(cloud.store, subject);
  const batch = (id: string, firstSeq: number) =>
    JSON.stringify(readingsBatch(id, readings(3, { firstSeq })) as ReadingsBatch);

  it('has the partition quorum queues of every gateway stream from the first boot (deploy/rabbitmq/definitions.json)', async () => {
    const queues = await node.queues();
    const layout = ingestLayout('coldtrace', 4);
    for (const q of layout.flatMap((l) => l.queues))
      expect(queues[q]).toEqual({ type: 'quorum', messages: 0 });
    expect(Object.keys(queues).sort()).toEqual(layout.flatMap((l) => l.queues).sort());
  });

  it('acknowledges a registered gateway’s batch once its queue holds it', async () => {
    const a = await connect('gw-a');
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), batch('gw-a', 1), { qos: 1 });
    // The PUBACK came back; the message is in one readings partition, and nowhere else. (rabbitmqctl reads
    // a quorum queue's depth from metrics the node refreshes every few seconds.)
    await until(async () => (await messages('readings')) === 1, 'the batch in a readings partition');
    expect(await messages('movements')).toBe(0);
  });

  it('closes the connection of a gateway publishing under another gateway’s root, without PUBACK', async () => {
    const a = await connect('gw-a', secrets['gw-a'], 'gw-a/second');
    const before = await messages('readings');
    expect(before).toBeGreaterThan(0); // the queue takes gw-a's own batches (previous test)
    let acked = false;
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish(gatewayTopic('gw-b', 'readings'), batch('gw-b', 1), { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await closed;
    expect(acked).toBe(false);
    expect(await messages('readings')).toBe(before);
    await until(
      async () => (await securityActions('gw-a/second')).includes('security.permission_denied'),
      'the refusal on the audit trail',
    );
  });

  it('refuses a wrong secret and a client id of another account, as security events', async () => {
    await expect(connect('gw-b', 'not-the-secret')).rejects.toThrow();
    await expect(connect('gw-b', secrets['gw-b'], 'gw-a')).rejects.toThrow();
    await until(
      async () => (await securityActions('gw-b')).includes('security.mqtt_login_refused'),
      'the bad secret on the audit trail',
    );
    await until(
      async () => (await securityActions('gw-a')).includes('security.mqtt_client_id_refused'),
      'the borrowed client id on the audit trail',
    );
    // gw-b itself still logs in and publishes.
    const b = await connect('gw-b');
    const before = await messages('status');
    await b.publishAsync(
      gatewayTopic('gw-b', 'status'),
      JSON.stringify({ gatewayId: 'gw-b', state: 'online', ts: Date.now() }),
      { qos: 1, retain: true },
    );
    await until(async () => (await messages('status')) === before + 1, 'the status queued');
  });
});
