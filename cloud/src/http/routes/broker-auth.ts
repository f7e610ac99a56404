import { ColdtraceError, ID_PATTERN } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { identifyBrokerLogin, type ServiceAccount, sameSecret } from '../../broker/broker-accounts.js';
import { type RabbitAccount, resourceAllowed, topicAllowed } from '../../broker/rabbitmq-permissions.js';
import { mqttRefusalEvent, type SecurityEvents } from '../../security/security-events.js';
import type { CloudStore } from '../../store/cloud-store.js';

export interface BrokerAuthOptions {
  store: CloudStore;
  security: SecurityEvents;
  /** ERP/WMS accounts (config `mqtt.serviceAccounts`), the same as on the embedded broker. */
  serviceAccounts: Readonly<Record<string, ServiceAccount>>;
  /** The ingestors' AMQP account (the credentials of config `mqtt.rabbitmq.amqpUrl`). */
  ingestor: { username: string; password: string };
  /** The one virtual host gateways, services and ingestors use (the path of `amqpUrl`). */
  vhost: string;
  /** The ingest queues are `<queuePrefix>.<stream>`. */
  queuePrefix: string;
  /** Peer addresses the broker calls from; anyone else is answered 403 (docs/operations.md). */
  allowFrom: readonly string[];
}

// rabbitmq_auth_backend_http with `auth_http.http_method = post` sends form fields; every field the
// plugin may add in a later version is accepted and ignored.
const userBody = z
  .object({ username: z.string(), password: z.string(), client_id: z.string().optional() })
  .passthrough();
const vhostBody = z
  .object({ username: z.string(), vhost: z.string(), client_id: z.string().optional() })
  .passthrough();
const resourceBody = z
  .object({
    username: z.string(),
    vhost: z.string(),
    resource: z.string(),
    name: z.string(),
    permission: z.enum(['configure', 'write', 'read']),
    client_id: z.string().optional(),
  })
  .passthrough();
const topicBody = z
  .object({
    username: z.string(),
    vhost: z.string(),
    resource: z.literal('topic'),
    name: z.string(),
    permission: z.enum(['write', 'read']),
    routing_key: z.string(),
    'variable_map.client_id': z.string().optional(),
  })
  .passthrough();

// No session: the broker is no user. What guards these routes is the peer address (the onRequest hook).
const BROKER_ONLY = { public: true } as const;

const plain = (s: string) => s.replace(/^::ffff:/, '');

/**
 * The HTTP auth backend of RabbitMQ (rabbitmq_auth_backend_http; docs/operations.md "Several machines:
 * RabbitMQ"): `POST /broker/auth/user|vhost|resource|topic`, answered `allow` or `deny` as plain text.
 * Gateways log in with the secret `coldtrace gateway add` issued and a client id bound to their id, exactly
 * as on the embedded broker (broker-accounts.ts), so registration stays in one place. Refusals are
 * security events (21 CFR 11.300(d)). Only the broker may ask: other peers get 403.
 */
export const brokerAuthRoutes: FastifyPluginAsync<BrokerAuthOptions> = async (root, opts) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const allowFrom = new Set(opts.allowFrom.map(plain));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.addHook('onRequest', async (req) => {
    // The socket's own peer, never X-Forwarded-For: a proxy in front must not make anyone the broker.
    const peer = plain(req.socket.remoteAddress ?? '');
    if (!allowFrom.has(peer)) {
      throw new ColdtraceError(
        'forbidden',
        `the broker auth endpoints answer only ${[...allowFrom].join(', ')}`,
      );
    }
  });

  /** Who a username is, for the questions asked after login (they carry no password). */
  const accountOf = (username: string): RabbitAccount | undefined => {
    if (username === opts.ingestor.username) return { kind: 'ingestor', name: username };
    const service = Object.hasOwn(opts.serviceAccounts, username)
      ? opts.serviceAccounts[username]
      : undefined;
    if (service) return { kind: 'service', name: username, clientIdPrefix: service.clientIdPrefix };
    return ID_PATTERN.test(username) ? { kind: 'gateway', name: username } : undefined;
  };
  const answer = (ok: boolean) => (ok ? 'allow' : 'deny');
  const refused = (username: string, clientId: string | undefined, what: string) =>
    void opts.security.record({
      event: 'permission_denied',
      actor: username || '(none)',
      subject: clientId ?? username,
      code: 'forbidden',
      reason: `RabbitMQ refused ${username || '(none)'}: ${what}`,
      details: { username, clientId },
    });

  app.post(
    '/broker/auth/user',
    { config: BROKER_ONLY, schema: { hide: true, body: userBody } },
    async (req, reply) => {
      const { username, password, client_id: clientId } = req.body;
      reply.type('text/plain');
      if (username === opts.ingestor.username) {
        // The ingestors connect over AMQP, which has no client id.
        const ok = sameSecret(opts.ingestor.password, password);
        if (!ok)
          void opts.security.record(
            mqttRefusalEvent({
              reason: 'bad_credentials',
              username,
              clientId: clientId ?? '',
              remote: undefined,
            }),
          );
        return answer(ok);
      }
      if (clientId === undefined) {
        // Gateways and service accounts use MQTT only; without a client id nothing binds the session.
        refused(username, undefined, 'gateways and service accounts log in over MQTT only');
        return answer(false);
      }
      const who = await identifyBrokerLogin(opts.store, opts.serviceAccounts, {
        username,
        secret: password,
        clientId,
      });
      if (who === null || who === 'client_id') {
        const reason = who === null ? 'bad_credentials' : 'client_id';
        void opts.security.record(mqttRefusalEvent({ reason, username, clientId, remote: undefined }));
      }
      return answer(who !== null && who !== 'client_id');
    },
  );

  app.post(
    '/broker/auth/vhost',
    { config: BROKER_ONLY, schema: { hide: true, body: vhostBody } },
    async (req, reply) => {
      const { username, vhost, client_id: clientId } = req.body;
      reply.type('text/plain');
      const ok = vhost === opts.vhost && accountOf(username) !== undefined;
      if (!ok) refused(username, clientId, `virtual host ${JSON.stringify(vhost)}`);
      return answer(ok);
    },
  );

  app.post(
    '/broker/auth/resource',
    { config: BROKER_ONLY, schema: { hide: true, body: resourceBody } },
    async (req, reply) => {
      const { username, vhost, resource, name, permission, client_id: clientId } = req.body;
      reply.type('text/plain');
      const account = accountOf(username);
      const ok =
        account !== undefined &&
        vhost === opts.vhost &&
        resourceAllowed(account, clientId, { kind: resource, name, permission }, opts.queuePrefix);
      if (!ok) refused(username, clientId, `${permission} on ${resource} ${JSON.stringify(name)}`);
      return answer(ok);
    },
  );

  app.post(
    '/broker/auth/topic',
    { config: BROKER_ONLY, schema: { hide: true, body: topicBody } },
    async (req, reply) => {
      const { username, vhost, name, permission, routing_key: routingKey } = req.body;
      const clientId = req.body['variable_map.client_id'];
      reply.type('text/plain');
      const account = accountOf(username);
      const ok =
        account !== undefined &&
        vhost === opts.vhost &&
        topicAllowed(account, { exchange: name, routingKey, permission });
      if (!ok)
        refused(
          username,
          clientId,
          `${permission} on ${name} with routing key ${JSON.stringify(routingKey)}`,
        );
      return answer(ok);
    },
  );
};
