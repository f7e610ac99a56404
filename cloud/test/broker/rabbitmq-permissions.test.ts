import { describe, expect, it } from 'vitest';
import { topicAllowed } from '../../src/broker/rabbitmq-permissions.js';

describe('RabbitMQ permissions', () => {
  it('never lets one gateway write a key that decodes to another', () => {
    const gw = { kind: 'gateway' as const, name: 'wh' };
    const write = (routingKey: string) =>
      topicAllowed(gw, { exchange: 'amq.topic', routingKey, permission: 'write' });
    expect(write('coldtrace.v1.gw.wh.readings')).toBe(true);
    // `wh.1`'s readings: the MQTT topic coldtrace/v1/gw/wh/1/readings is under wh's root, not its key.
    expect(write('coldtrace.v1.gw.wh.1.readings')).toBe(false);
    expect(write('coldtrace.v1.gw.wh.#')).toBe(false);
  });
});
