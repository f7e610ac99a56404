import { GATEWAY_TOPIC_NAMES, type GatewayTopicName, ID_PATTERN, TOPIC_ROOT } from '@coldtrace/shared';

/**
 * How contract topics travel through RabbitMQ (docs/operations.md "Several machines: RabbitMQ"): the MQTT
 * plugin publishes to the topic exchange `amq.topic` with the MQTT topic's `/` turned into `.`
 * (`coldtrace/v1/gw/gw-1/readings` → `coldtrace.v1.gw.gw-1.readings`), and one quorum queue per stream
 * kind takes every gateway's messages of that stream. Gateway ids may hold `.`: the stream is the last
 * word and the id everything between `coldtrace.v1.gw.` and it, so a key decodes unambiguously as long as
 * each gateway may write only its own streams' keys (broker/rabbitmq-permissions.ts).
 */

const KEY_ROOT = TOPIC_ROOT.replaceAll('/', '.');

/** The exchange the MQTT plugin publishes to and subscribes from (`mqtt.exchange`, its default). */
export const MQTT_EXCHANGE = 'amq.topic';

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

/**
 * The routing key an MQTT client of the plugin sees as `topic` (the integration events, published over
 * AMQP by integrations/amqp-event-publisher.ts). The plugin turns a topic into a key with `/` → `.` and
 * `+` → `*`, and a key back into a topic with `.` → `/` and `*` → `+` (rabbit_mqtt_util `to_amqp` and
 * `to_mqtt`, RabbitMQ 3.10 to 4.x; a `.` in a topic is not swapped with `/`, it becomes a word separator).
 * So a topic holding `.`, `*`, `+` or `#` would reach subscribers as another topic: refused.
 */
export function mqttTopicRoutingKey(topic: string): string {
  if (/[.*+#]/.test(topic) || topic === '') {
    throw new TypeError(
      `topic ${JSON.stringify(topic)} cannot cross RabbitMQ's MQTT plugin unchanged (no . * + # allowed)`,
    );
  }
  return topic.replaceAll('/', '.');
}

/**
 * Is `key` one integration event's key (`coldtrace.v1.events.<event>`, the event one word)? The only keys
 * the cloud's AMQP account may publish: none of them matches an ingest queue's binding (`coldtrace.v1.gw.…`).
 */
export function isEventRoutingKey(key: string): boolean {
  const prefix = `${KEY_ROOT}.events.`;
  if (!key.startsWith(prefix)) return false;
  const event = key.slice(prefix.length);
  return ID_PATTERN.test(event) && !event.includes('.');
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
