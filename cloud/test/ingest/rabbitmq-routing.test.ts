import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventTopic, GATEWAY_TOPIC_NAMES, gatewayTopic } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { DOMAIN_EVENT_NAMES } from '../../src/domain/domain-events.js';
import {
  gatewayRoutingKey,
  ingestQueues,
  isEventRoutingKey,
  mqttTopicRoutingKey,
  parseGatewayRoutingKey,
} from '../../src/ingest/rabbitmq-routing.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Does a topic exchange route `key` to a binding `pattern`? (`*` one word, `#` zero or more.) */
function topicMatches(pattern: string[], key: string[]): boolean {
  if (pattern.length === 0) return key.length === 0;
  const [p, ...rest] = pattern;
  if (p === '#') return topicMatches(rest, key) || (key.length > 0 && topicMatches(pattern, key.slice(1)));
  return key.length > 0 && (p === '*' || p === key[0]) && topicMatches(rest, key.slice(1));
}
const routes = (binding: string, key: string) => topicMatches(binding.split('.'), key.split('.'));

describe('RabbitMQ routing keys and queues', () => {
  it('reads back the gateway and stream of every stream key, ids with dots included', () => {
    for (const id of ['gw-1', 'wh.berlin.1', 'a:b_c']) {
      for (const stream of GATEWAY_TOPIC_NAMES) {
        const key = gatewayRoutingKey(id, stream);
        // What the MQTT plugin makes of the contract topic: `/` becomes `.`.
        expect(key).toBe(gatewayTopic(id, stream).replaceAll('/', '.'));
        expect(parseGatewayRoutingKey(key)).toEqual({ gatewayId: id, stream });
      }
    }
    expect(parseGatewayRoutingKey('coldtrace.v1.gw.gw-1.other')).toBeNull();
    expect(parseGatewayRoutingKey('coldtrace.v1.gw.readings')).toBeNull();
    expect(parseGatewayRoutingKey('coldtrace.v1.events.lock')).toBeNull();
  });

  it('routes live readings into their own queue only, whatever the gateway id', () => {
    const queues = ingestQueues('coldtrace');
    const live = queues.find((q) => q.stream === 'readings-live')!;
    expect(live.queue).toBe('coldtrace.readings-live');
    for (const id of ['gw-1', 'wh.1', 'wh.readings', 'a.readings-live']) {
      const key = gatewayRoutingKey(id, 'readings-live');
      expect(queues.filter((q) => routes(q.bindingKey, key)).map((q) => q.queue)).toEqual([live.queue]);
      expect(parseGatewayRoutingKey(key)).toEqual({ gatewayId: id, stream: 'readings-live' });
      const backlog = gatewayRoutingKey(id, 'readings');
      expect(queues.filter((q) => routes(q.bindingKey, backlog)).map((q) => q.queue)).toEqual([
        'coldtrace.readings',
      ]);
    }
  });

  it('deploy/rabbitmq/definitions.json declares the vhost and every ingest queue and binding', () => {
    const defs = JSON.parse(readFileSync(join(here, '../../../deploy/rabbitmq/definitions.json'), 'utf8'));
    expect(defs.vhosts).toEqual([{ name: '/' }]);
    const queues = ingestQueues('coldtrace');
    expect(defs.queues.map((q: { name: string }) => q.name).sort()).toEqual(
      queues.map((q) => q.queue).sort(),
    );
    for (const q of defs.queues) {
      expect(q).toMatchObject({
        vhost: '/',
        durable: true,
        auto_delete: false,
        arguments: { 'x-queue-type': 'quorum' },
      });
    }
    expect(
      defs.bindings.map((b: { destination: string; routing_key: string; source: string }) => [
        b.source,
        b.destination,
        b.routing_key,
      ]),
    ).toEqual(expect.arrayContaining(queues.map((q) => ['amq.topic', q.queue, q.bindingKey])));
    expect(defs.bindings).toHaveLength(queues.length);
  });

  it('publishes every integration event under the key the MQTT plugin delivers as its topic, into no ingest queue', () => {
    // The matcher above routes what RabbitMQ routes (precondition of the negative assertion below).
    expect(routes('coldtrace.v1.gw.#.readings', gatewayRoutingKey('wh.1', 'readings'))).toBe(true);
    expect(routes('coldtrace.v1.events.#', 'coldtrace.v1.events.lock')).toBe(true);
    for (const event of DOMAIN_EVENT_NAMES) {
      const key = mqttTopicRoutingKey(eventTopic(event));
      // The plugin's key → topic mapping (`.` → `/`) gives the subscriber the contract topic back.
      expect(key.replaceAll('.', '/')).toBe(eventTopic(event));
      expect(isEventRoutingKey(key)).toBe(true);
      // The ERP's subscription coldtrace/v1/events/# binds its queue with this key.
      expect(routes('coldtrace.v1.events.#', key)).toBe(true);
      for (const q of ingestQueues('coldtrace')) expect(routes(q.bindingKey, key)).toBe(false);
    }
    // A `.` in a topic would reach subscribers as two levels; wildcards are no topic.
    for (const topic of ['coldtrace/v1/events/a.b', 'coldtrace/v1/events/+', 'coldtrace/v1/events/#'])
      expect(() => mqttTopicRoutingKey(topic)).toThrow(/cannot cross/);
    expect(isEventRoutingKey('coldtrace.v1.events.a.b')).toBe(false);
    expect(isEventRoutingKey('coldtrace.v1.events.#')).toBe(false);
    expect(isEventRoutingKey(gatewayRoutingKey('gw-1', 'readings'))).toBe(false);
  });
});
