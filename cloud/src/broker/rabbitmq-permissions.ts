import { TOPIC_ROOT } from '@coldtrace/shared';
import {
  ingestLayout,
  isEventRoutingKey,
  isIngestExchange,
  isIngestQueue,
  MQTT_EXCHANGE,
  parseGatewayRoutingKey,
} from '../ingest/rabbitmq-routing.js';
import { serviceAccountMayUse } from './client-ids.js';

/**
 * What each account may do on RabbitMQ (docs/operations.md "Several machines: RabbitMQ"), answered to
 * rabbitmq_auth_backend_http's resource and topic questions. Pure: the caller has established who the
 * username is. Routing keys and queues: ingest/rabbitmq-routing.ts.
 */

const KEY_ROOT = TOPIC_ROOT.replaceAll('/', '.');

export type RabbitAccount =
  | { kind: 'gateway'; name: string }
  | { kind: 'service'; name: string; clientIdPrefix: string }
  | { kind: 'ingestor'; name: string };

export type Permission = 'configure' | 'write' | 'read';

/** The queue the MQTT plugin declares for a client's subscriptions (RabbitMQ 3.x: one per QoS). */
function isSubscriptionQueueOf(name: string, mayUse: (clientId: string) => boolean): boolean {
  const m = /^mqtt-subscription-(.*)qos[01]$/.exec(name);
  return m !== null && mayUse(m[1]!);
}

/**
 * May `account`, connected with MQTT client id `clientId` (none over AMQP), use this exchange or queue?
 * - gateway: publish to `amq.topic`, nothing else (v1 reserves command topics and gateways subscribe to
 *   none; with `.` in gateway ids a command key of one gateway could be a stream key of another);
 * - service account (ERP/WMS): its own subscription queue, bind from `amq.topic` (reads only);
 * - ingestor (the cloud's AMQP account): declare, bind and consume the ingest queues (partitions
 *   `<queuePrefix>.<stream>.<k>`, and the legacy `<queuePrefix>.<stream>` it drains), declare and bind the
 *   consistent-hash exchanges `<queuePrefix>.<stream>.by-gateway`, bind from `amq.topic` and publish to it
 *   (the integration events; `topicAllowed` narrows which keys).
 */
export function resourceAllowed(
  account: RabbitAccount,
  clientId: string | undefined,
  resource: { kind: string; name: string; permission: Permission },
  queuePrefix: string,
): boolean {
  const { kind, name, permission } = resource;
  if (kind === 'exchange') {
    if (account.kind === 'ingestor' && isIngestExchange(queuePrefix, name)) return true;
    if (name !== MQTT_EXCHANGE) return false;
    if (account.kind === 'gateway') return permission === 'write';
    return permission === 'read' || (account.kind === 'ingestor' && permission === 'write');
  }
  if (kind !== 'queue') return false;
  switch (account.kind) {
    case 'gateway':
      return false;
    case 'service':
      return (
        clientId !== undefined &&
        isSubscriptionQueueOf(name, (c) => c === clientId && serviceAccountMayUse(account.clientIdPrefix, c))
      );
    case 'ingestor':
      return isIngestQueue(queuePrefix, name);
  }
}

/**
 * May `account` publish (`write`) or subscribe/bind (`read`) with this routing key on `amq.topic`?
 * A gateway writes only its own streams' keys and reads nothing; a service account
 * reads anything under the contract root (the integration events `coldtrace/v1/events/#` included) and
 * writes nothing; the ingestor reads the ingest bindings and writes only integration events' keys, so it
 * can neither read the events nor forge a gateway's stream.
 */
export function topicAllowed(
  account: RabbitAccount,
  topic: { exchange: string; routingKey: string; permission: 'write' | 'read' },
): boolean {
  const { exchange, routingKey: key, permission } = topic;
  if (exchange !== MQTT_EXCHANGE) return false;
  switch (account.kind) {
    case 'gateway':
      if (permission !== 'write') return false;
      return parseGatewayRoutingKey(key)?.gatewayId === account.name;
    case 'service':
      return permission === 'read' && (key === `${KEY_ROOT}.#` || key.startsWith(`${KEY_ROOT}.`));
    case 'ingestor':
      if (permission === 'write') return isEventRoutingKey(key);
      return ingestLayout('', 0).some((l) => l.bindingKey === key);
  }
}
