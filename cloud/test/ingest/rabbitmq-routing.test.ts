import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventTopic, GATEWAY_TOPIC_NAMES, gatewayTopic } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { DOMAIN_EVENT_NAMES } from '../../src/domain/domain-events.js';
import {
  gatewayRoutingKey,
  ingestLayout,
  isEventRoutingKey,
  isIngestQueue,
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

  it('routes live readings into their own exchange only, whatever the gateway id', () => {
    const layout = ingestLayout('coldtrace', 4);
    const live = layout.find((l) => l.stream === 'readings-live')!;
    expect(live.exchange).toBe('coldtrace.readings-live.by-gateway');
    expect(live.queues).toEqual([0, 1, 2, 3].map((k) => `coldtrace.readings-live.${k}`));
    for (const id of ['gw-1', 'wh.1', 'wh.readings', 'a.readings-live']) {
      const key = gatewayRoutingKey(id, 'readings-live');
      expect(layout.filter((l) => routes(l.bindingKey, key)).map((l) => l.exchange)).toEqual([live.exchange]);
      expect(parseGatewayRoutingKey(key)).toEqual({ gatewayId: id, stream: 'readings-live' });
      const backlog = gatewayRoutingKey(id, 'readings');
      expect(layout.filter((l) => routes(l.bindingKey, backlog)).map((l) => l.exchange)).toEqual([
        'coldtrace.readings.by-gateway',
      ]);
    }
  });

  it('names partitions and legacy queues as ingest queues, and nothing else', () => {
    for (const name of [
      'coldtrace.ingestors',
      'coldtrace.readings',
      'coldtrace.readings.0',
      'coldtrace.readings-live.63',
      'coldtrace.status.10',
    ])
      expect(isIngestQueue('coldtrace', name), name).toBe(true);
    for (const name of [
      'coldtrace.readings.64',
      'coldtrace.readings.01',
      'coldtrace.readings.x',
      'coldtrace.readings.by-gateway',
      'coldtrace.other.0',
      'other.readings.0',
      'mqtt-subscription-erpqos1',
    ])
      expect(isIngestQueue('coldtrace', name), name).toBe(false);
  });

  it('deploy/rabbitmq/definitions.json declares the vhost and the gateway-affine layout of 4 partitions', () => {
    const defs = JSON.parse(readFileSync(join(here, '../../../deploy/rabbitmq/definitions.json'), 'utf8'));
    expect(defs.vhosts).toEqual([{ name: '/' }]);
    const layout = ingestLayout('coldtrace', 4);
    expect(defs.exchanges.map((x: { name: string }) => x.name).sort()).toEqual(
      layout.map((l) => l.exchange).sort(),
    );
    for (const x of defs.exchanges)
      expect(x).toMatchObject({ vhost: '/', type: 'x-consistent-hash', durable: true, auto_delete: false });
    expect(defs.queues.map((q: { name: string }) => q.name).sort()).toEqual(
      layout.flatMap((l) => l.queues).sort(),
    );
    for (const q of defs.queues) {
      expect(q).toMatchObject({
        vhost: '/',
        durable: true,
        auto_delete: false,
        arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true },
      });
    }
    const expected = layout.flatMap((l) => [
      ['amq.topic', l.exchange, 'exchange', l.bindingKey],
      ...l.queues.map((q) => [l.exchange, q, 'queue', '1']),
    ]);
    expect(
      defs.bindings
        .map((b: { destination: string; destination_type: string; routing_key: string; source: string }) => [
          b.source,
          b.destination,
          b.destination_type,
          b.routing_key,
        ])
        .sort(),
    ).toEqual(expected.sort());
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
      for (const l of ingestLayout('coldtrace', 4)) expect(routes(l.bindingKey, key)).toBe(false);
    }
    // A `.` in a topic would reach subscribers as two levels; wildcards are no topic.
    for (const topic of ['coldtrace/v1/events/a.b', 'coldtrace/v1/events/+', 'coldtrace/v1/events/#'])
      expect(() => mqttTopicRoutingKey(topic)).toThrow(/cannot cross/);
    expect(isEventRoutingKey('coldtrace.v1.events.a.b')).toBe(false);
    expect(isEventRoutingKey('coldtrace.v1.events.#')).toBe(false);
    expect(isEventRoutingKey(gatewayRoutingKey('gw-1', 'readings'))).toBe(false);
  });
});
