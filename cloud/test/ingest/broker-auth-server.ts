import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import pino from 'pino';
import { brokerAuthRoutes } from '../../src/http/routes/broker-auth.js';
import { SecurityEvents } from '../../src/security/security-events.js';
import type { CloudStore } from '../../src/store/cloud-store.js';

/** The ingestor account of the RabbitMQ tests (the user of their amqp:// URLs). */
export const TEST_INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };

/**
 * RabbitMQ's HTTP auth backend (broker-auth.ts) over `store`, alone on its own listener, for tests whose
 * ingest runs outside a cloud. Returns the base URL to give RabbitmqNode.create.
 */
export async function startBrokerAuth(store: CloudStore): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(brokerAuthRoutes, {
    store,
    security: new SecurityEvents(store.db, { log: pino({ level: 'silent' }) }),
    serviceAccounts: {},
    ingestor: TEST_INGESTOR,
    vhost: '/',
    queuePrefix: 'coldtrace',
    allowFrom: ['127.0.0.1', '::1'],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app };
}
