import { GATEWAY_TOPIC_NAMES, type GatewayTopicName, TOPIC_ROOT } from '@coldtrace/shared';
import { serviceAccountMayUse } from './client-ids.js';

/**
 * What each account may do on RabbitMQ (docs/operations.md "Several machines: RabbitMQ"), answered to
 * rabbitmq_auth_backend_http's resource and topic questions. Pure: the caller has established who the
 * username is. The MQTT plugin publishes to the topic exchange `amq.topic` with the MQTT topic's `/`
 * turned into `.` (`coldtrace/v1/gw/gw-1/readings` → `coldtrace.v1.gw.gw-1.readings`); gateway ids may
 * hold `.`, so a gateway may write exactly the routing keys of its own contract streams and nothing else
 * (the stream is the last word, the id everything between `coldtrace.v1.gw.` and it: decoding is
 * unambiguous).
 */

/** The exchange the MQTT plugin publishes to and subscribes from (`mqtt.exchange`, its default). */
export const MQTT_EXCHANGE = 'amq.topic';

const KEY_ROOT = TOPIC_ROOT.replaceAll('/', '.');

export type RabbitAccount =
  | { kind: 'gateway'; name: string }
  | { kind: 'service'; name: string; clientIdPrefix: string }
  | { kind: 'ingestor'; name: string };

export type Permission = 'configure' | 'write' | 'read';

/** The routing key a gateway's stream arrives with. */
export function gatewayRoutingKey(gatewayId: string, stream: GatewayTopicName): string {
  return `${KEY_ROOT}.gw.${gatewayId}.${stream}`;
}

/** The gateway and stream of a routing key from `gatewayRoutingKey`, or null for any other key. */
export function parseGatewayRoutingKey(key: string): { gatewayId: string; stream: GatewayTopicName } | null {
  const prefix = `${KEY_ROOT}.gw.`;
  if (!key.startsWith(prefix)) return null;
  const dot = key.lastIndexOf('.');
  const stream = key.slice(dot + 1);
  const gatewayId = key.slice(prefix.length, dot);
  if (gatewayId === '' || !(GATEWAY_TOPIC_NAMES as string[]).includes(stream)) return null;
  return { gatewayId, stream: stream as GatewayTopicName };
}

/** One durable quorum queue per stream kind, and the binding that fills it from every gateway. */
export function ingestQueues(
  prefix: string,
): { stream: GatewayTopicName; queue: string; bindingKey: string }[] {
  // `#`, not `*`: a gateway id with `.` spans several words.
  return GATEWAY_TOPIC_NAMES.map((stream) => ({
    stream,
    queue: `${prefix}.${stream}`,
    bindingKey: `${KEY_ROOT}.gw.#.${stream}`,
  }));
}

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
 * - ingestor: declare, bind and consume the ingest queues `<queuePrefix>.*`, bind from `amq.topic`.
 */
export function resourceAllowed(
  account: RabbitAccount,
  clientId: string | undefined,
  resource: { kind: string; name: string; permission: Permission },
  queuePrefix: string,
): boolean {
  const { kind, name, permission } = resource;
  if (kind === 'exchange') {
    if (name !== MQTT_EXCHANGE) return false;
    return account.kind === 'gateway' ? permission === 'write' : permission === 'read';
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
      return ingestQueues(queuePrefix).some((q) => q.queue === name);
  }
}

/**
 * May `account` publish (`write`) or subscribe/bind (`read`) with this routing key on `amq.topic`?
 * A gateway writes only its own streams' keys and reads nothing; a service account
 * reads anything under the contract root and writes nothing; the ingestor reads the ingest bindings.
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
      return permission === 'read' && ingestQueues('').some((q) => q.bindingKey === key);
  }
}
