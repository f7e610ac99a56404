import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic, gatewayTopics, systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { startAmqpSource } from '../../src/ingest/amqp-source.js';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh). A gateway's `online` behind an external broker
// (docs/operations.md "Several machines: RabbitMQ"): the cloud sees no MQTT connection, only what arrives on
// the gateway's retained `status` stream: its online status once connected, and its Last Will, which
// RabbitMQ's MQTT plugin publishes when the connection drops without DISCONNECT. The will is made when the
// session begins (edge/src/publisher/mqtt-client-options.ts), so it is older than the online status.

const GATEWAY = 'gw-online';
const status = (state: 'online' | 'offline', ts: number, reason: string) =>
  JSON.stringify({ gatewayId: GATEWAY, state, ts, reason });

describe('gateway online through RabbitMQ: its status, then its Last Will', { timeout: 90_000 }, () => {
  let dir: string;
  let store: CloudStore;
  let auth: Awaited<ReturnType<typeof startBrokerAuth>>;
  let node: RabbitmqNode;
  let source: IngestSource;
  let secret: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-gateway-online-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    secret = await registerGateway(store, { id: GATEWAY, now: Date.now() });
    auth = await startBrokerAuth(store);
    node = await RabbitmqNode.create(auth.url);
    const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
    source = await startAmqpSource({
      url: `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
      prefetch: 16,
      queuePrefix: 'coldtrace',
      partitions: 4,
      ingestor: new Ingestor({ store, clock: systemClock, log }),
      log,
      connect: amqplibConnect,
    });
    await until(() => source.health().ok, 'consuming the queues');
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await source?.close();
    await node?.destroy();
    await auth?.app.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const online = async () => (await store.getGateway(GATEWAY))?.online;

  /** Connects as the gateway does: MQTT 3.1.1, persistent session, its offline status as the Last Will. */
  const connect = async (): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(node.mqttUrl, {
      clientId: GATEWAY,
      username: GATEWAY,
      password: secret,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
      will: {
        topic: gatewayTopic(GATEWAY, 'status'),
        payload: Buffer.from(status('offline', Date.now(), 'last_will')),
        qos: gatewayTopics.status.qos,
        retain: gatewayTopics.status.retain,
      },
    });
    clients.push(client);
    return client;
  };

  it('is online once its status is ingested, offline once the broker publishes its will', async () => {
    expect(await online()).toBe(0);
    const first = await connect();
    await first.publishAsync(gatewayTopic(GATEWAY, 'status'), status('online', Date.now(), 'started'), {
      qos: 1,
      retain: true,
    });
    await until(async () => (await online()) === 1, 'online from its status');
    // The gateway vanishes (power cut, network lost): no DISCONNECT, so RabbitMQ publishes the will.
    first.stream.destroy();
    await until(async () => (await online()) === 0, 'offline from its Last Will');

    // Its next session's online status brings it back.
    const second = await connect();
    await second.publishAsync(gatewayTopic(GATEWAY, 'status'), status('online', Date.now() + 1, 'started'), {
      qos: 1,
      retain: true,
    });
    await until(async () => (await online()) === 1, 'online again');
  });
});
