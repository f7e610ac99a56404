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

/** The queue each stream kind had before gateway-affine delivery: drained, never bound again. */
export function legacyIngestQueue(prefix: string, stream: GatewayTopicName): string {
  return `${prefix}.${stream}`;
}

/** Partition `k`'s queue of a stream kind. */
export function partitionQueue(prefix: string, stream: GatewayTopicName, k: number): string {
  return `${prefix}.${stream}.${k}`;
}

/**
 * The quorum queue every ingestor consumes and nothing is routed to: its consumer count is the number of
 * ingestors (a partition's, with single active consumer, counts only the active one in RabbitMQ 3.10).
 */
export function presenceQueue(prefix: string): string {
  return `${prefix}.ingestors`;
}

/** The most partitions a stream kind may have (config `mqtt.rabbitmq.partitions`). */
export const MAX_PARTITIONS = 64;

/** The ingest layout of one stream kind (docs/operations.md "Queue layout"). */
export interface IngestStreamLayout {
  stream: GatewayTopicName;
  /** The `x-consistent-hash` exchange that `amq.topic` feeds with `bindingKey`. */
  exchange: string;
  bindingKey: string;
  /** Its quorum queues, each bound to `exchange` with weight 1 and consumed by one ingestor at a time. */
  queues: string[];
  /** The queue of the layout before, consumed while it exists so nothing in it is stranded. */
  legacyQueue: string;
}

/**
 * Gateway-affine delivery: per stream kind, `amq.topic` → (exchange binding `coldtrace.v1.gw.#.<stream>`)
 * → a consistent-hash exchange (RabbitMQ's bundled `rabbitmq_consistent_hash_exchange`, hashing the routing
 * key, i.e. the gateway within a stream kind) → `partitions` quorum queues with `x-single-active-consumer`.
 * So one ingestor at a time receives all of a gateway's batches of a stream, and its group transactions do
 * not wait for another ingestor's on the same (gateway, stream) locks; when its channel dies the broker
 * makes the next consumer in line active.
 */
export function ingestLayout(prefix: string, partitions: number): IngestStreamLayout[] {
  // `#`, not `*`: a gateway id with `.` spans several words.
  return GATEWAY_TOPIC_NAMES.map((stream) => ({
    stream,
    exchange: `${prefix}.${stream}.by-gateway`,
    bindingKey: `${KEY_ROOT}.gw.#.${stream}`,
    queues: Array.from({ length: partitions }, (_, k) => partitionQueue(prefix, stream, k)),
    legacyQueue: legacyIngestQueue(prefix, stream),
  }));
}

/** The queue arguments of a partition (the same as deploy/rabbitmq/definitions.json). */
export const PARTITION_QUEUE_ARGUMENTS = {
  'x-queue-type': 'quorum',
  'x-single-active-consumer': true,
} as const;

function isPartitionIndex(k: string): boolean {
  return /^(0|[1-9]\d?)$/.test(k) && Number(k) < MAX_PARTITIONS;
}

/** Is `name` an ingest queue of `prefix` (a partition, whatever the count, a legacy queue, the presence queue)? */
export function isIngestQueue(prefix: string, name: string): boolean {
  if (name === presenceQueue(prefix)) return true;
  return GATEWAY_TOPIC_NAMES.some(
    (stream) =>
      name === legacyIngestQueue(prefix, stream) ||
      (name.startsWith(`${prefix}.${stream}.`) &&
        isPartitionIndex(name.slice(prefix.length + stream.length + 2))),
  );
}

/** Is `name` one of `prefix`'s consistent-hash ingest exchanges? */
export function isIngestExchange(prefix: string, name: string): boolean {
  return ingestLayout(prefix, 0).some((l) => l.exchange === name);
}
