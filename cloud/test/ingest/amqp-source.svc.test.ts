import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { startAmqpSource } from '../../src/ingest/amqp-source.js';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { CONTRACT_GATEWAY, connectContractGateway, ingestSourceContract } from './ingest-source-contract.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh). The AMQP source on our own RabbitMQ node:
// gateways publish over MQTT, RabbitMQ asks broker-auth.ts (served here on its own listener), the source
// consumes the quorum queues through amqplib, as the cloud does.

const INGESTOR = TEST_INGESTOR;
const PREFETCH = 4;

ingestSourceContract('RabbitMQ quorum queues over AMQP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-amqp-source-'));
  const store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  const secret = await registerGateway(store, { id: CONTRACT_GATEWAY, now: Date.now() });
  const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const auth = await startBrokerAuth(store);
  const node = await RabbitmqNode.create(auth.url);
  const gateway = connectContractGateway(node.mqttUrl, secret);
  const connections = new WeakMap<IngestSource, { destroy(): void }>();
  return {
    store,
    async start(ingestor) {
      let last: { destroy(): void } | undefined;
      const source = await startAmqpSource({
        url: `amqp://${INGESTOR.username}:${INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
        prefetch: PREFETCH,
        queuePrefix: 'coldtrace',
        partitions: 4,
        ingestor,
        log,
        connect: async (url) => {
          const c = await amqplibConnect(url);
          // amqplib's model over its connection and socket: crash() destroys the socket as kill -9 would.
          const socket = (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream;
          last = { destroy: () => socket.destroy() };
          return c;
        },
      });
      connections.set(source, { destroy: () => last?.destroy() });
      return source;
    },
    async crash(source) {
      // The socket goes as with kill -9: no ack, no close handshake.
      connections.get(source)!.destroy();
      await source.close();
    },
    publish(topic, payload) {
      gateway.publish(topic, payload, { qos: 1 });
    },
    maxInFlight: PREFETCH,
    async close() {
      await gateway.endAsync(true);
      await node.destroy();
      await auth.app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
