import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_TOPIC_NAMES, gatewayTopic } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import {
  gatewayRoutingKey,
  ingestQueues,
  parseGatewayRoutingKey,
} from '../../src/ingest/rabbitmq-routing.js';

const here = dirname(fileURLToPath(import.meta.url));

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
});
